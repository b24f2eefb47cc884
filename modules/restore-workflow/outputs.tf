output "state_machine_arn" {
  description = "ARN of the restore workflow; start it with the input contract of `studio_core::workflow::RestoreRequest`."
  value       = aws_sfn_state_machine.restore.arn
}

output "state_machine_name" {
  description = "Name of the restore workflow."
  value       = aws_sfn_state_machine.restore.name
}

output "state_machine_role_arn" {
  description = "ARN of the role the workflow runs as."
  value       = aws_iam_role.state_machine.arn
}

output "datasync_security_group_id" {
  description = "Security group of DataSync's network interfaces: pass it to the efs-access module for each domain's EFS."
  value       = aws_security_group.datasync.id
}

output "notification_topic_arn" {
  description = "SNS topic that receives a message for every failed restore."
  value       = local.topic_arn
}

output "slots_table_name" {
  description = "Name of the table that holds the DataSync slot semaphore."
  value       = aws_dynamodb_table.slots.name
}

output "slots_table_arn" {
  description = "ARN of the slot semaphore table (the reconciler frees slots of executions that ended without releasing them)."
  value       = aws_dynamodb_table.slots.arn
}

output "log_group_name" {
  description = "Log group of the state machine's execution logs."
  value       = aws_cloudwatch_log_group.state_machine.name
}

output "datasync_log_group_arn" {
  description = "Log group DataSync writes the restore tasks' logs to."
  value       = aws_cloudwatch_log_group.datasync.arn
}

output "kms_key_policy_json" {
  description = "A key policy document whose statements a customer managed `kms_key_arn` needs: CloudWatch Logs for the state machine's and DataSync's log groups. Merge its `Statement` list into the key's policy before applying with the key. The topic and the slots table are used through the workflow's role and need only a key policy that delegates to IAM, as the default key policy does."
  value       = data.aws_iam_policy_document.kms_key_policy.json
}

output "copier_function_name" {
  description = "The copier's function name, for `copier_function` of `studio_profile_restore` (with `engine = \"native\"` or `\"auto\"`); null without `copier`."
  value       = local.copier_enabled ? aws_lambda_function.copier[0].function_name : null
}

output "copier_function_arn" {
  description = "The copier's function ARN; null without `copier`."
  value       = local.copier_enabled ? aws_lambda_function.copier[0].arn : null
}
