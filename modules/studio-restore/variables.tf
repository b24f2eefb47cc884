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

variable "efs_domain_ids" {
  description = "Domains whose EFS mount targets DataSync may reach, by a name of your choice, e.g. { studio = \"d-...\" }: the security group SageMaker created for each (`security-group-for-inbound-nfs-<domain id>`, in `vpc_id`) is looked up by name, so the domain may be created in the same apply. A name also in `efs_security_group_ids` uses that group instead."
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

variable "create_trail" {
  description = "Create a CloudTrail trail for the event path (event-app `create_trail`): EventBridge gets the CloudTrail events only while a trail logs management events in this Region. Leave false when the account has one (an organization or multi-Region trail counts)."
  type        = bool
  default     = false
}

variable "trail_log_expiration_days" {
  description = "With `create_trail`, days after which the trail's log files are deleted; null keeps them."
  type        = number
  default     = 365
}

variable "trail_kms_key_arn" {
  description = "With `create_trail`, a KMS key for the trail's log files (its key policy must let CloudTrail use it); null: SSE-S3."
  type        = string
  default     = null
}
