output "ingress_rule_id" {
  description = "Id of the NFS ingress rule on the EFS security group."
  value       = aws_security_group_rule.efs_ingress_from_datasync.id
}

output "egress_rule_id" {
  description = "Id of the NFS egress rule on the DataSync security group."
  value       = aws_security_group_rule.datasync_egress_to_efs.id
}
