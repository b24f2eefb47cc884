output "state_machine_arn" {
  description = "ARN of the restore workflow (the provider's `state_machine` restore engine starts it too)."
  value       = module.restore_workflow.state_machine_arn
}

output "mapping_table_name" {
  description = "Name of the mapping table."
  value       = module.event_app.mapping_table_name
}

output "history_table_name" {
  description = "Name of the history table."
  value       = module.event_app.history_table_name
}

output "function_names" {
  description = "Names of the Lambda functions, by role."
  value       = module.event_app.function_names
}

output "failure_queue_url" {
  description = "Queue of events and stream records that failed after their retries."
  value       = module.event_app.failure_queue_url
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
