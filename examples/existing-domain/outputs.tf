output "state_machine_arn" {
  description = "The restore workflow."
  value       = module.studio_restore.state_machine_arn
}

output "mapping_table_name" {
  description = "The mapping table: one row per home."
  value       = module.studio_restore.mapping_table_name
}

output "seeded" {
  description = "What the deploy-time reconciler run recorded."
  value       = module.studio_restore.deploy_reconcile_result
}
