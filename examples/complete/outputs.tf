output "domain_id" {
  description = "Id of the demo domain."
  value       = module.studio_domain.domain_id
}

output "user_profile_uids" {
  description = "Home directory uid of each demo user."
  value       = module.studio_domain.user_profile_uids
}

output "state_machine_arn" {
  description = "The restore workflow."
  value       = module.studio_restore.state_machine_arn
}

output "mapping_table_name" {
  description = "The mapping table: one row per home."
  value       = module.studio_restore.mapping_table_name
}

output "failure_queue_url" {
  description = "Events and stream records that failed after their retries."
  value       = module.studio_restore.failure_queue_url
}

output "home_efs_file_system_id" {
  description = "The demo domain's home EFS file system (kept when the domain is destroyed or replaced)."
  value       = module.studio_domain.home_efs_file_system_id
}

output "copier_function_name" {
  description = "The native engine's copier, for `copier_function` of `studio_profile_restore`."
  value       = module.studio_restore.copier_function_name
}
