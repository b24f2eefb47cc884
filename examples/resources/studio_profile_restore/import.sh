# The restore's id: "<target domain id>/user/<profile name>" or "<target domain id>/space/<space name>".
# The declaration is read back from the latest successful restore in the history table.
terraform import studio_profile_restore.alice d-new0domain1/user/alice
