variable "efs_security_group_id" {
  description = "Security group of the domain's EFS mount targets (SageMaker creates `security-group-for-inbound-nfs-<domain id>`). Null: looked up by that name in `vpc_id`, with `domain_id`. When set, it must be known at plan time (a literal or a data source), since it decides whether the lookup happens."
  type        = string
  default     = null

  validation {
    condition     = var.efs_security_group_id == null ? true : can(regex("^sg-[0-9a-f]{8,17}$", var.efs_security_group_id))
    error_message = "The efs_security_group_id must be a security group id, sg- followed by 8 or 17 hexadecimal digits, or null."
  }
}

variable "domain_id" {
  description = "With `efs_security_group_id` null: the domain whose `security-group-for-inbound-nfs-<domain id>` is opened (it may be created in the same apply)."
  type        = string
  default     = null

  validation {
    condition     = var.domain_id == null ? true : can(regex("^d-(-*[a-z0-9]){1,61}$", var.domain_id))
    error_message = "The domain_id must be a SageMaker domain id (d-...), or null."
  }
}

variable "vpc_id" {
  description = "With `efs_security_group_id` null: the domain's VPC, where SageMaker created that group. Null searches every VPC of the Region (the name holds the domain id)."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null ? true : can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "The vpc_id must be a VPC id (vpc-...), or null."
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
