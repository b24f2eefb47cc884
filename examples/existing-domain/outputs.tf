output "state_machine_arn" {
  description = "The restore workflow."
  value       = module.studio_restore.state_machine_arn
}

output "mapping_table_name" {
  description = "The mapping table: one row per home."
  value       = module.studio_restore.mapping_table_name
}

output "failure_queue_url" {
  description = "Where a failed deploy-time seed (and every other failed event or stream record) ends up; the reconciler's log group has the details."
  value       = module.studio_restore.failure_queue_url
}
