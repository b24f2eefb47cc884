# The target's home key: "<domain name>/user/<profile name>" or "<domain name>/space/<space name>".
terraform import studio_restore_target.bob data-science/user/bob
