variable "efs_security_group_id" {
  description = "Security group of the domain's EFS mount targets (SageMaker creates `security-group-for-inbound-nfs-<domain id>`)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.efs_security_group_id))
    error_message = "The efs_security_group_id must be a security group id, sg- followed by 8 or 17 hexadecimal digits."
  }
}

variable "datasync_security_group_id" {
  description = "Security group of DataSync's network interfaces (restore-workflow output `datasync_security_group_id`)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.datasync_security_group_id))
    error_message = "The datasync_security_group_id must be a security group id, sg- followed by 8 or 17 hexadecimal digits."
  }
}

variable "description" {
  description = "Description of the two rules, so that they can be told apart in the console."
  type        = string
  default     = "studio-restore: DataSync to the Studio home EFS over NFS"

  validation {
    condition     = length(var.description) <= 255
    error_message = "The description must be at most 255 characters (EC2's limit for a rule description)."
  }
}
