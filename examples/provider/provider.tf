terraform {
  required_version = ">= 1.0"
  required_providers {
    studio = {
      source  = "studio-restore/studio"
      version = "~> 0.1"
    }
  }
}

# Credentials come from the standard AWS chain (environment, ~/.aws, SSO, instance roles).
provider "studio" {
  region = "eu-west-1"

  # Assume a role on top of the base credentials (the profile's, when `profile` is set);
  # a second block chains: the hub role's credentials assume the workload account's role.
  assume_role {
    role_arn     = "arn:aws:iam::111111111111:role/platform-hub"
    session_name = "terraform"
  }
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/studio-restore"
    session_name = "terraform"
    duration     = "2h"
  }

  # Accounts whose SageMaker and DataSync quotas other tools share: more retries, and the SDK's
  # client-side rate limiter after a throttle.
  max_retries = 12
  retry_mode  = "adaptive"

  # The tables of the event path: modules/event-app names them <name_prefix>-mapping and
  # <name_prefix>-history (its outputs mapping_table_name and history_table_name;
  # modules/studio-restore's provider_settings). Unset, the provider uses studioUser and
  # studioUserHistory, the tables of deployments made before the names followed name_prefix.
  user_table    = "studio-restore-mapping"
  history_table = "studio-restore-history"
}
