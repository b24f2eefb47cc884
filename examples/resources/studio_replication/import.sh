# The home key: "<domain name>/user/<profile name>" or "<domain name>/space/<space name>".
terraform import studio_replication.alice data-science/user/alice
