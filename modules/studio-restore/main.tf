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
}

module "efs_access" {
  source   = "../efs-access"
  for_each = var.efs_security_group_ids

  efs_security_group_id      = each.value
  datasync_security_group_id = module.restore_workflow.datasync_security_group_id
}
