output "input" {
  description = "The restore workflow input."
  value       = jsonencode(local.input)
}

output "execution_name" {
  description = "A deterministic execution name for this copy."
  value       = local.execution_name
}

output "start_command" {
  description = "The AWS CLI command that starts the restore."
  value       = "aws stepfunctions start-execution --state-machine-arn ${var.state_machine_arn} --name ${local.execution_name} --input '${jsonencode(local.input)}'"
}
