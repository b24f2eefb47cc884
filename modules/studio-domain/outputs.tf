output "domain_id" {
  description = "Id of the domain."
  value       = aws_sagemaker_domain.this.id
}

output "domain_name" {
  description = "Name of the domain."
  value       = aws_sagemaker_domain.this.domain_name
}

output "home_efs_file_system_id" {
  description = "The domain's home EFS file system: `/<uid>` there is each user's home directory."
  value       = aws_sagemaker_domain.this.home_efs_file_system_id
}

output "user_profile_uids" {
  description = "Home directory uid of each user profile (HomeEfsFileSystemUid)."
  value       = { for name, profile in aws_sagemaker_user_profile.this : name => profile.home_efs_file_system_uid }
}

output "execution_role_arn" {
  description = "Execution role of the domain's users."
  value       = local.execution_role_arn
}
