variable "domain_name" {
  description = "Name of the demo SageMaker domain. studio-restore keys homes on the domain name, so a domain recreated under the same name gets its users' files back."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the domain."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the domain (its EFS gets a mount target in each)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups for the users' apps. Empty: the domain's defaults."
  type        = list(string)
  default     = []
}

variable "user_profiles" {
  description = "User profile names to create in the domain."
  type        = set(string)
  default     = []
}

variable "execution_role_arn" {
  description = "Execution role of the domain's users. Null creates a role with AmazonSageMakerFullAccess."
  type        = string
  default     = null
}

variable "kms_key_id" {
  description = "KMS key for the domain's home EFS. Null uses the AWS-managed key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
