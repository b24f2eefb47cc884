output "provider_settings" {
  description = "The `studio` provider's table settings for this deployment: `user_table`, `history_table` and `slots_table` (so that the provider's DataSync restores share the workflow's DataSync budget). Set them in `provider \"studio\"`; its own defaults are the table names of deployments made before the names followed `name_prefix`."
  value = {
    user_table    = module.event_app.mapping_table_name
    history_table = module.event_app.history_table_name
    slots_table   = module.restore_workflow.slots_table_name
  }
}

output "state_machine_arn" {
  description = "ARN of the restore workflow (the provider's `state_machine` restore engine starts it too)."
  value       = module.restore_workflow.state_machine_arn
}

output "state_machine_name" {
  description = "Name of the restore workflow."
  value       = module.restore_workflow.state_machine_name
}

output "state_machine_role_arn" {
  description = "ARN of the role the workflow runs as."
  value       = module.restore_workflow.state_machine_role_arn
}

output "mapping_table_name" {
  description = "Name of the mapping table."
  value       = module.event_app.mapping_table_name
}

output "mapping_table_arn" {
  description = "ARN of the mapping table."
  value       = module.event_app.mapping_table_arn
}

output "mapping_table_stream_arn" {
  description = "ARN of the mapping table's stream (for your own event source mapping, see `create_event_source_mapping`)."
  value       = module.event_app.mapping_table_stream_arn
}

output "history_table_name" {
  description = "Name of the history table."
  value       = module.event_app.history_table_name
}

output "history_table_arn" {
  description = "ARN of the history table."
  value       = module.event_app.history_table_arn
}

output "slots_table_name" {
  description = "Name of the DataSync slot semaphore table: the provider's `slots_table`."
  value       = module.restore_workflow.slots_table_name
}

output "slots_table_arn" {
  description = "ARN of the DataSync slot semaphore table."
  value       = module.restore_workflow.slots_table_arn
}

output "function_names" {
  description = "Names of the Lambda functions, by role: event-processor, stream-processor, reconciler."
  value       = module.event_app.function_names
}

output "function_arns" {
  description = "ARNs of the Lambda functions, by role."
  value       = module.event_app.function_arns
}

output "role_arns" {
  description = "ARNs of the IAM roles: one per function, and `restore-workflow` for the state machine."
  value       = merge(module.event_app.role_arns, { restore-workflow = module.restore_workflow.state_machine_role_arn })
}

output "failure_queue_url" {
  description = "Queue of events and stream records that failed after their retries: watch it."
  value       = module.event_app.failure_queue_url
}

output "failure_queue_arn" {
  description = "ARN of the failure queue."
  value       = module.event_app.failure_queue_arn
}

output "event_rule_arn" {
  description = "ARN of the CloudTrail event rule."
  value       = module.event_app.event_rule_arn
}

output "notification_topic_arn" {
  description = "SNS topic of failed restores."
  value       = module.restore_workflow.notification_topic_arn
}

output "datasync_security_group_id" {
  description = "DataSync's security group."
  value       = module.restore_workflow.datasync_security_group_id
}

output "trail_arn" {
  description = "The CloudTrail trail created with `create_trail`; null without it."
  value       = module.event_app.trail_arn
}

output "trail_bucket_name" {
  description = "Bucket of the trail's log files with `create_trail`; null without it."
  value       = module.event_app.trail_bucket_name
}

output "efs_access_rule_ids" {
  description = "The NFS rules opened for each entry of `efs_security_group_ids`: `{ ingress, egress }` by its name."
  value       = { for name, access in module.efs_access : name => { ingress = access.ingress_rule_id, egress = access.egress_rule_id } }
}

output "log_group_name" {
  description = "Log group of the state machine's execution logs."
  value       = module.restore_workflow.log_group_name
}

output "datasync_log_group_arn" {
  description = "Log group DataSync writes the restore tasks' logs to."
  value       = module.restore_workflow.datasync_log_group_arn
}

output "kms_key_policy_json" {
  description = "A key policy document with every statement a customer managed `kms_key_arn` needs (the children's `kms_key_policy_json` together): CloudWatch Logs for every log group, EventBridge for the failure queue. Merge its `Statement` list into the key's policy before applying with the key; the rest is used through the module's roles, which needs a key policy that delegates to IAM, as the default key policy does."
  value = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(jsondecode(module.event_app.kms_key_policy_json).Statement, jsondecode(module.restore_workflow.kms_key_policy_json).Statement)
  })
}

output "copier_function_name" {
  description = "The copier's function name, for `copier_function` of `studio_profile_restore`; null without `copier_file_system_id`."
  value       = module.restore_workflow.copier_function_name
}

output "copier_function_arn" {
  description = "The copier's function ARN; null without `copier_file_system_id`."
  value       = module.restore_workflow.copier_function_arn
}
