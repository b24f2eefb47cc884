# studio-restore for domains that already exist. The reconciler runs once at deploy and seeds
# the mapping table with every existing profile and space, so that their homes can be restored
# from the first recreation on.

module "studio_restore" {
  source = "../../modules/studio-restore"

  name_prefix            = var.name_prefix
  vpc_id                 = var.vpc_id
  subnet_id              = var.subnet_id
  domain_ids             = var.domain_ids
  efs_security_group_ids = var.efs_security_group_ids
  lambda_dir             = var.lambda_dir
  lambda_runtime         = var.lambda_runtime
  notification_emails    = var.notification_emails
}
