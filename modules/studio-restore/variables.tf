variable "name_prefix" {
  description = "Prefix of every resource name, so that several deployments fit in one account and region."
  type        = string
  default     = "studio-restore"
}

variable "vpc_id" {
  description = "VPC of the domains' EFS mount targets; DataSync's security group is created here."
  type        = string
}

variable "subnet_id" {
  description = "Subnet for DataSync's network interfaces; it must reach a mount target of every file system restored from or to."
  type        = string
}

variable "efs_security_group_ids" {
  description = "EFS mount-target security groups to open NFS into from DataSync, by a name of your choice (usually the domain), e.g. { studio = \"sg-...\" }."
  type        = map(string)
  default     = {}
}

variable "lambda_dir" {
  description = "Directory with the Lambda zips as `scripts/build-lambdas` writes them: <dir>/<function>/bootstrap.zip."
  type        = string
}

variable "lambda_runtime" {
  description = "Lambda runtime of the functions. `provided.al2023` needs hashicorp/aws >= 5.26; use `provided.al2` with older releases."
  type        = string
  default     = "provided.al2023"
}

variable "domain_ids" {
  description = "Track only these domain ids. Empty tracks every domain in the region."
  type        = list(string)
  default     = []
}

variable "mapping_table_name" {
  description = "Name of the mapping table."
  type        = string
  default     = "studioUser"
}

variable "history_table_name" {
  description = "Name of the history table."
  type        = string
  default     = "studioUserHistory"
}

variable "max_concurrent_restores" {
  description = "Restores that may run DataSync at the same time (below the DataSync task quota); more wait."
  type        = number
  default     = 20
}

variable "restore_excludes" {
  description = "DataSync SIMPLE_PATTERN exclude filter of automatic restores; empty excludes nothing."
  type        = string
  default     = "*/.ipynb_checkpoints"
}

variable "reconcile_schedule" {
  description = "Schedule expression of the reconciler."
  type        = string
  default     = "rate(1 hour)"
}

variable "run_reconciler_on_deploy" {
  description = "Seed the mapping table once when the reconciler is deployed: at apply only, through the event-app's deployments table (a plan invokes nothing)."
  type        = bool
  default     = true
}

variable "create_notification_topic" {
  description = "Create the SNS topic for failed restores; false uses `notification_topic_arn`."
  type        = bool
  default     = true
}

variable "notification_topic_arn" {
  description = "Your own SNS topic for failed restores (with `create_notification_topic = false`)."
  type        = string
  default     = null
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the created failure topic."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 90
}

variable "kms_key_arn" {
  description = "KMS key for tables, queue, topic and logs. Null uses AWS-owned keys."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
