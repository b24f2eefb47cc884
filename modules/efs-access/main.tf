# NFS (TCP 2049) from DataSync's network interfaces into the domain's EFS mount targets, and
# the matching egress from the DataSync group (which has no other rule): nothing else is opened.

# SageMaker creates the security group of a domain's EFS mount targets with the domain and names it
# `security-group-for-inbound-nfs-<domain id>` in the domain's VPC (SageMaker Developer Guide,
# "(Optional) Migrate data from Studio Classic to Studio"): found by that name when not passed
# in, so a domain and its restore stack apply together. The lookup waits for apply when the domain
# id is not known yet, and fails when the group does not exist (a wrong domain or VPC).
data "aws_security_group" "efs" {
  count  = var.efs_security_group_id == null ? 1 : 0
  vpc_id = var.vpc_id

  filter {
    name   = "group-name"
    values = ["security-group-for-inbound-nfs-${local.domain_id}"]
  }
}

locals {
  # Terraform 1.0 validates no variable against another: without a group and without a domain,
  # fail with a message naming both inputs instead of looking up a group named after nothing.
  domain_id = var.efs_security_group_id != null || var.domain_id != null ? var.domain_id : tostring(tobool(
    "efs-access needs efs_security_group_id, or domain_id (with vpc_id) to find the domain's security-group-for-inbound-nfs-<domain id>"
  ))
  efs_security_group_id = var.efs_security_group_id == null ? data.aws_security_group.efs[0].id : var.efs_security_group_id
}

resource "aws_security_group_rule" "efs_ingress_from_datasync" {
  type                     = "ingress"
  description              = var.description
  security_group_id        = local.efs_security_group_id
  source_security_group_id = var.datasync_security_group_id
  protocol                 = "tcp"
  from_port                = 2049
  to_port                  = 2049
}

resource "aws_security_group_rule" "datasync_egress_to_efs" {
  type                     = "egress"
  description              = var.description
  security_group_id        = var.datasync_security_group_id
  source_security_group_id = local.efs_security_group_id
  protocol                 = "tcp"
  from_port                = 2049
  to_port                  = 2049
}
