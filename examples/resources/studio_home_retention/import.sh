# The domain id.
terraform import studio_home_retention.this d-0123456789ab
