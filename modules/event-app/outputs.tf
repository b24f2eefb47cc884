output "mapping_table_name" {
  description = "Name of the mapping table."
  value       = aws_dynamodb_table.mapping.name
}

output "mapping_table_arn" {
  description = "ARN of the mapping table."
  value       = aws_dynamodb_table.mapping.arn
}

output "mapping_table_stream_arn" {
  description = "ARN of the mapping table's stream (for your own event source mapping, see `create_event_source_mapping`)."
  value       = aws_dynamodb_table.mapping.stream_arn
}

output "history_table_name" {
  description = "Name of the history table."
  value       = aws_dynamodb_table.history.name
}

output "history_table_arn" {
  description = "ARN of the history table."
  value       = aws_dynamodb_table.history.arn
}

output "function_names" {
  description = "Names of the functions, by role: event-processor, stream-processor, reconciler."
  value       = { for key, function in aws_lambda_function.function : key => function.function_name }
}

output "function_arns" {
  description = "ARNs of the functions, by role."
  value       = { for key, function in aws_lambda_function.function : key => function.arn }
}

output "failure_queue_url" {
  description = "SQS queue of the events and stream records that failed after their retries: watch it (an alarm on its depth is a good idea)."
  value       = aws_sqs_queue.failures.id
}

output "failure_queue_arn" {
  description = "ARN of the failure queue."
  value       = aws_sqs_queue.failures.arn
}

output "event_rule_arn" {
  description = "ARN of the CloudTrail event rule."
  value       = aws_cloudwatch_event_rule.profile_created.arn
}

output "trail_arn" {
  description = "ARN of the trail created with `create_trail`; null without it."
  value       = var.create_trail ? aws_cloudtrail.trail[0].arn : null
}

output "trail_bucket_name" {
  description = "Bucket of the trail's log files with `create_trail`; null without it."
  value       = var.create_trail ? aws_s3_bucket.trail[0].id : null
}

output "role_arns" {
  description = "ARNs of the functions' IAM roles, by function (names `<name_prefix>-<function>-<region>`)."
  value       = { for key, role in aws_iam_role.function : key => role.arn }
}

output "kms_key_policy_json" {
  description = "A key policy document whose statements a customer managed `kms_key_arn` needs: CloudWatch Logs for the functions' log groups, EventBridge for the failure queue (the rules' dead-letter queue). Merge its `Statement` list into the key's policy before applying with the key (with hashicorp/aws >= 4, `source_policy_documents` of `aws_iam_policy_document` does it). The tables and the queue are used through the functions' roles and need only a key policy that delegates to IAM, as the default key policy does."
  value       = data.aws_iam_policy_document.kms_key_policy.json
}
