variable "domain_name" {
  description = "Name of the demo SageMaker domain. studio-restore keys homes on the domain name, so a domain recreated under the same name gets its users' files back."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.domain_name))
    error_message = "The domain_name must be a SageMaker domain name: letters, digits and hyphens, starting and ending with a letter or digit, at most 63 characters."
  }
}

variable "vpc_id" {
  description = "VPC of the domain."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "The vpc_id must be a VPC id, vpc- followed by 8 or 17 hexadecimal digits."
  }
}

variable "subnet_ids" {
  description = "Subnets of the domain (its EFS gets a mount target in each)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "The subnet_ids must hold at least one subnet id, each subnet- followed by 8 or 17 hexadecimal digits."
  }
}

variable "security_group_ids" {
  description = "Security groups for the users' apps. Empty: the domain's defaults."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "Every entry of security_group_ids must be a security group id, sg- followed by 8 or 17 hexadecimal digits."
  }
}

variable "user_profiles" {
  description = "User profile names to create in the domain."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.user_profiles : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", name))])
    error_message = "Every entry of user_profiles must be a SageMaker user profile name: letters, digits and hyphens, starting and ending with a letter or digit, at most 63 characters."
  }
}

variable "execution_role_arn" {
  description = "Execution role of the domain's users. Null creates a role with AmazonSageMakerFullAccess."
  type        = string
  default     = null

  validation {
    condition     = var.execution_role_arn == null ? true : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", var.execution_role_arn))
    error_message = "The execution_role_arn must be null or an IAM role ARN, arn:<partition>:iam::<account>:role/<name>."
  }
}

variable "kms_key_id" {
  description = "KMS key for the domain's home EFS. Null uses the AWS-managed key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_id == null ? true : can(regex("^(arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/)?[a-zA-Z0-9-]+$", var.kms_key_id))
    error_message = "The kms_key_id must be null, a KMS key id or a key ARN."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
