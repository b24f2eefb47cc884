output "home_efs_file_system_id" {
  description = "The domain's home EFS file system (in the emulator, a local directory)."
  value       = aws_sagemaker_domain.studio.home_efs_file_system_id
}

output "alice_uid" {
  description = "alice's current home directory uid."
  value       = aws_sagemaker_user_profile.alice.home_efs_file_system_uid
}

output "restore" {
  description = "What the restore did."
  value = one([for r in studio_profile_restore.alice : {
    id                = r.id
    from              = "${r.source_file_system_id}:/${r.source_uid}"
    to                = "${r.target_file_system_id}:/${r.target_uid}"
    status            = r.status
    files_transferred = r.files_transferred
    bytes_written     = r.bytes_written
    execution_arn     = r.execution_arn
  }])
}
