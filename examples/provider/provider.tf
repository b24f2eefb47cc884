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

  # Assume a role on top of the base credentials (conflicts with `profile`).
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/studio-restore"
    session_name = "terraform"
  }

  # The tables the event path (modules/event-app) created; these are the defaults.
  user_table    = "studioUser"
  history_table = "studioUserHistory"
}
