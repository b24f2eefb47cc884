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

variable "domain_name" {
  description = "Name of the demo Studio domain."
  type        = string
  default     = "studio-restore-demo"
}

variable "vpc_id" {
  description = "VPC of the demo domain and of DataSync."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the demo domain; DataSync uses the first."
  type        = list(string)
}

variable "efs_security_group_id" {
  description = "The domain's EFS mount-target security group. Null: the one SageMaker creates with the domain, `security-group-for-inbound-nfs-<domain id>`, found by name in the same apply."
  type        = string
  default     = null
}

variable "user_profiles" {
  description = "User profiles of the demo domain."
  type        = set(string)
  default     = ["alice", "bob"]
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

variable "create_trail" {
  description = "Create a CloudTrail trail for the event path. Without a trail logging management events in the Region, EventBridge gets no CloudTrail events and only the hourly reconciler restores."
  type        = bool
  default     = false
}
