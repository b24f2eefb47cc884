# studio-restore in one module: the restore workflow, the event path, and NFS access from
# DataSync to each domain's EFS.

module "restore_workflow" {
  source = "../restore-workflow"

  name_prefix               = var.name_prefix
  mapping_table_name        = module.event_app.mapping_table_name
  mapping_table_arn         = module.event_app.mapping_table_arn
  vpc_id                    = var.vpc_id
  subnet_id                 = var.subnet_id
  max_concurrent_restores   = var.max_concurrent_restores
  create_notification_topic = var.create_notification_topic
  notification_topic_arn    = var.notification_topic_arn
  notification_emails       = var.notification_emails
  log_retention_days        = var.log_retention_days
  kms_key_arn               = var.kms_key_arn
  tags                      = var.tags
}

module "event_app" {
  source = "../event-app"

  name_prefix              = var.name_prefix
  mapping_table_name       = var.mapping_table_name
  history_table_name       = var.history_table_name
  state_machine_arn        = module.restore_workflow.state_machine_arn
  slots_table_arn          = module.restore_workflow.slots_table_arn
  event_processor_zip      = "${var.lambda_dir}/studio-event-processor/bootstrap.zip"
  stream_processor_zip     = "${var.lambda_dir}/studio-stream-processor/bootstrap.zip"
  reconciler_zip           = "${var.lambda_dir}/studio-reconciler/bootstrap.zip"
  lambda_runtime           = var.lambda_runtime
  domain_ids               = var.domain_ids
  restore_excludes         = var.restore_excludes
  reconcile_schedule       = var.reconcile_schedule
  run_reconciler_on_deploy = var.run_reconciler_on_deploy
  log_retention_days       = var.log_retention_days
  kms_key_arn              = var.kms_key_arn
  tags                     = var.tags

  # A trail for accounts without one (EventBridge gets CloudTrail events only from a trail).
  create_trail              = var.create_trail
  trail_log_expiration_days = var.trail_log_expiration_days
  trail_kms_key_arn         = var.trail_kms_key_arn
}

# One per named domain or group: a group passed in is used as is, a domain's is looked up by the
# name SageMaker gives it (efs-access).
module "efs_access" {
  source   = "../efs-access"
  for_each = toset(concat(keys(var.efs_security_group_ids), keys(var.efs_domain_ids)))

  efs_security_group_id      = lookup(var.efs_security_group_ids, each.key, null)
  domain_id                  = lookup(var.efs_domain_ids, each.key, null)
  vpc_id                     = var.vpc_id
  datasync_security_group_id = module.restore_workflow.datasync_security_group_id
}
