# The domain was deleted (its home file system retained) and recreated as d-new0domain1.
# alice's old home directory is /200005 on the old file system: named explicitly, because
# SageMaker no longer knows it. Whose it is comes from the mapping table (modules/event-app),
# which recorded it in the old domain; without that record, only allow_different_owner copies.
resource "studio_profile_restore" "alice" {
  source = {
    domain_id         = "d-old0domain1"
    user_profile_name = "alice"
    file_system_id    = "fs-0123456789abcdef0"
    uid               = 200005
  }
  target = {
    domain_id         = "d-new0domain1"
    user_profile_name = "alice"
  }

  # Studio Classic creates the home directory with the first app: wait for it, up to 2 hours.
  readiness = "app"
  timeouts {
    create = "2h"
  }
}

# bob's profile was deleted and recreated in the same domain: SageMaker now reports his new,
# empty home, and the mapping table (modules/event-app) remembers the directory he had before,
# which is the source. Files he already created in the new home are kept (the default).
resource "studio_profile_restore" "bob" {
  source = {
    domain_id         = "d-new0domain1"
    user_profile_name = "bob"
  }
  target = {
    domain_id         = "d-new0domain1"
    user_profile_name = "bob"
  }
}

# A shared space, copied by the deployed restore workflow (modules/restore-workflow) instead of
# by the provider: the workflow's own network, task options and notifications apply.
resource "studio_profile_restore" "team" {
  source = {
    domain_id      = "d-old0domain1"
    space_name     = "team"
    file_system_id = "fs-0123456789abcdef0"
    uid            = 200010
  }
  target = {
    domain_id  = "d-new0domain1"
    space_name = "team"
  }

  engine            = "state_machine"
  state_machine_arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:studio-restore-restore"
}

# DataSync reaching EFS from a chosen subnet and security group (by default: the target
# domain's first subnet and its default security groups), and a way to run the restore again.
resource "studio_profile_restore" "carol" {
  source = {
    domain_id         = "d-old0domain1"
    user_profile_name = "carol"
    file_system_id    = "fs-0123456789abcdef0"
    uid               = 200015
  }
  target = {
    domain_id         = "d-new0domain1"
    user_profile_name = "carol"
  }

  network {
    subnet_arn          = "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef0"
    security_group_arns = ["arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0"]
  }
  transfer_mode = "ALL"

  # Any change of these values copies again.
  triggers = {
    requested = "2026-11-26"
  }
}

# dana left; her old notebooks go to erin, a different person. Refused unless declared: the plan
# shows allow_different_owner and warns with both owners.
resource "studio_profile_restore" "dana_to_erin" {
  source = {
    domain_id         = "d-old0domain1"
    user_profile_name = "dana"
    file_system_id    = "fs-0123456789abcdef0"
    uid               = 200020
  }
  target = {
    domain_id         = "d-new0domain1"
    user_profile_name = "erin"
  }

  allow_different_owner = true
}
