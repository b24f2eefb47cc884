variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "studio-restore"
}

variable "vpc_id" {
  description = "VPC of the existing domains' EFS mount targets."
  type        = string
}

variable "subnet_id" {
  description = "Subnet for DataSync's network interfaces."
  type        = string
}

variable "domain_ids" {
  description = "The existing domains to protect; empty protects every domain in the region."
  type        = list(string)
  default     = []
}

variable "efs_security_group_ids" {
  description = "EFS mount-target security group of each domain, by a name of your choice."
  type        = map(string)
}

variable "lambda_dir" {
  description = "Directory of the Lambda zips (scripts/build-lambdas)."
  type        = string
  default     = "../../target/lambda"
}

variable "lambda_runtime" {
  description = "Lambda runtime (`provided.al2` with hashicorp/aws < 5.26, which rejects `provided.al2023`)."
  type        = string
  default     = "provided.al2023"
}

variable "notification_emails" {
  description = "E-mail addresses told about failed restores."
  type        = list(string)
  default     = []
}
