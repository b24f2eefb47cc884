# Whenever Terraform recreates alice's profile (a new uid, an empty home), the same apply copies
# her previous home directory into the new one. Terraform 1.14 or later.
variable "old_uid" {
  type        = number
  description = "The uid of alice's previous home directory (HomeEfsFileSystemUid before the recreation); null restores nothing."
  default     = null
}

resource "aws_sagemaker_user_profile" "alice" {
  domain_id         = "d-0123456789ab"
  user_profile_name = "alice"

  lifecycle {
    action_trigger {
      events    = [after_create]
      condition = var.old_uid != null
      actions   = [action.studio_restore.alice]
    }
  }
}

action "studio_restore" "alice" {
  config {
    source = {
      domain_id         = "d-0123456789ab"
      user_profile_name = "alice"
      uid               = var.old_uid
    }
    target = {
      domain_id         = "d-0123456789ab"
      user_profile_name = "alice"
    }

    timeouts {
      create = "30m"
    }
  }
}

# Or at any time, without changing anything else:
#   terraform apply -var old_uid=200005 -invoke=action.studio_restore.alice
