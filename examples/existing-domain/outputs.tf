output "state_machine_arn" {
  description = "The restore workflow."
  value       = module.studio_restore.state_machine_arn
}

output "mapping_table_name" {
  description = "The mapping table: one row per home."
  value       = module.studio_restore.mapping_table_name
}

output "seed_errors" {
  description = "Errors of the deploy-time reconciler run, which seeds the table with the existing profiles and spaces (empty when all went well)."
  value       = module.studio_restore.deploy_reconcile_errors
}
