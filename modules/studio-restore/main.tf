# studio-restore in one module: the restore workflow, the event path, and NFS access from
# DataSync to each domain's EFS.

locals {
  # lambda_dir's layout, as scripts/build-lambdas writes it; null where lambda_dir is null (the
  # function's package then comes from lambda_s3_packages).
  zips = {
    for function in ["event-processor", "stream-processor", "reconciler"] :
    function => var.lambda_dir == null ? null : "${var.lambda_dir}/studio-${function}/bootstrap.zip"
  }
}

module "restore_workflow" {
  source = "../restore-workflow"

  name_prefix                  = var.name_prefix
  mapping_table_name           = module.event_app.mapping_table_name
  mapping_table_arn            = module.event_app.mapping_table_arn
  vpc_id                       = var.vpc_id
  subnet_id                    = var.subnet_id
  max_concurrent_restores      = var.max_concurrent_restores
  queue_wait_max_attempts      = var.queue_wait_max_attempts
  queue_wait_max_delay_seconds = var.queue_wait_max_delay_seconds
  execution_timeout_seconds    = var.execution_timeout_seconds
  in_transit_encryption        = var.in_transit_encryption
  studio_gid                   = var.studio_gid
  task_options                 = var.task_options
  create_notification_topic    = var.create_notification_topic
  notification_topic_arn       = var.notification_topic_arn
  notification_emails          = var.notification_emails
  log_retention_days           = var.log_retention_days
  kms_key_arn                  = var.kms_key_arn
  tags                         = var.tags

  # The copier's package comes from lambda_dir like the other functions'. Whether there is one is
  # known at plan (`create_copier`) even when the file system is created in the same apply.
  copier = !var.create_copier ? null : {
    file_system_id = var.copier_file_system_id == null ? "create_copier needs copier_file_system_id" : var.copier_file_system_id
    zip            = var.lambda_dir == null ? "copier_file_system_id needs lambda_dir (the copier's package: <lambda_dir>/studio-copier/bootstrap.zip)" : "${var.lambda_dir}/studio-copier/bootstrap.zip"
  }
  copier_runtime         = var.lambda_runtime
  copier_memory_mb       = var.copier_memory_mb
  copier_timeout_seconds = var.copier_timeout_seconds
  copier_reserve_seconds = var.copier_reserve_seconds
  copier_max_concurrency = var.copier_max_concurrency
  copier_max_invocations = var.copier_max_invocations
}

module "event_app" {
  source = "../event-app"

  name_prefix                   = var.name_prefix
  mapping_table_name            = var.mapping_table_name
  history_table_name            = var.history_table_name
  state_machine_arn             = module.restore_workflow.state_machine_arn
  slots_table_arn               = module.restore_workflow.slots_table_arn
  event_processor_zip           = local.zips["event-processor"]
  stream_processor_zip          = local.zips["stream-processor"]
  reconciler_zip                = local.zips["reconciler"]
  lambda_s3_packages            = var.lambda_s3_packages
  lambda_runtime                = var.lambda_runtime
  lambda_architecture           = var.lambda_architecture
  lambda_memory_mb              = var.lambda_memory_mb
  lambda_timeout_seconds        = var.lambda_timeout_seconds
  reconciler_timeout_seconds    = var.reconciler_timeout_seconds
  domain_ids                    = var.domain_ids
  domain_names                  = var.domain_names
  event_bus_name                = var.event_bus_name
  event_max_retry_attempts      = var.event_max_retry_attempts
  stream_batch_size             = var.stream_batch_size
  stream_max_retry_attempts     = var.stream_max_retry_attempts
  stream_max_record_age_seconds = var.stream_max_record_age_seconds
  create_event_source_mapping   = var.create_event_source_mapping
  partial_batch_response        = var.partial_batch_response
  restore_excludes              = var.restore_excludes
  restore_wait_for_app          = var.restore_wait_for_app
  restore_poll_seconds          = var.restore_poll_seconds
  restore_attempts              = var.restore_attempts
  restore_retry_backoff_seconds = var.restore_retry_backoff_seconds
  reconcile_schedule            = var.reconcile_schedule
  reconciler_max_starts         = var.reconciler_max_starts
  run_reconciler_on_deploy      = var.run_reconciler_on_deploy
  log_retention_days            = var.log_retention_days
  log_level                     = var.log_level
  kms_key_arn                   = var.kms_key_arn
  tags                          = var.tags

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
