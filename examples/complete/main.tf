# A demo domain with users, and studio-restore watching it: delete a user's apps and profile,
# recreate the profile, open Studio, and the old home directory is copied into the new one.

module "studio_domain" {
  source = "../../modules/studio-domain"

  domain_name   = var.domain_name
  vpc_id        = var.vpc_id
  subnet_ids    = var.subnet_ids
  user_profiles = var.user_profiles
}

module "studio_restore" {
  source = "../../modules/studio-restore"

  name_prefix            = var.name_prefix
  vpc_id                 = var.vpc_id
  subnet_id              = var.subnet_ids[0]
  efs_security_group_ids = var.efs_security_group_id == null ? {} : { (var.domain_name) = var.efs_security_group_id }
  lambda_dir             = var.lambda_dir
  lambda_runtime         = var.lambda_runtime
  domain_ids             = [module.studio_domain.domain_id]
  notification_emails    = var.notification_emails

  # The domain's EFS security group, which SageMaker creates with the domain, found by its name in
  # the same apply (unless `efs_security_group_id` names one).
  efs_domain_ids = { (var.domain_name) = module.studio_domain.domain_id }
  create_trail   = var.create_trail

  # The native engine's copier for the domain's file system: studio_profile_restore with
  # `copier_function = module.studio_restore.copier_function_name` restores within it in seconds.
  create_copier         = true
  copier_file_system_id = module.studio_domain.home_efs_file_system_id
}
