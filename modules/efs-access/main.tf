# NFS (TCP 2049) from DataSync's network interfaces into the domain's EFS mount targets, and
# the matching egress from the DataSync group (which has no other rule): nothing else is opened.

resource "aws_security_group_rule" "efs_ingress_from_datasync" {
  type                     = "ingress"
  description              = var.description
  security_group_id        = var.efs_security_group_id
  source_security_group_id = var.datasync_security_group_id
  protocol                 = "tcp"
  from_port                = 2049
  to_port                  = 2049
}

resource "aws_security_group_rule" "datasync_egress_to_efs" {
  type                     = "egress"
  description              = var.description
  security_group_id        = var.datasync_security_group_id
  source_security_group_id = var.efs_security_group_id
  protocol                 = "tcp"
  from_port                = 2049
  to_port                  = 2049
}
