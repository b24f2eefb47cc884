variable "efs_security_group_id" {
  description = "Security group of the domain's EFS mount targets (SageMaker creates `security-group-for-inbound-nfs-<domain id>`)."
  type        = string
}

variable "datasync_security_group_id" {
  description = "Security group of DataSync's network interfaces (restore-workflow output `datasync_security_group_id`)."
  type        = string
}

variable "description" {
  description = "Description of the two rules, so that they can be told apart in the console."
  type        = string
  default     = "studio-restore: DataSync to the Studio home EFS over NFS"
}
