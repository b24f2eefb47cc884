variable "name_prefix" {
  description = "Prefix of every resource name, so that several deployments fit in one account and region."
  type        = string
  default     = "studio-restore"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name_prefix))
    error_message = "The name_prefix must start with a letter and hold at most 32 letters, digits and hyphens."
  }
}

variable "mapping_table_name" {
  description = "Name of the mapping table (event-app output `mapping_table_name`): the state machine records each restore's status and counts on the target home's row."
  type        = string
}

variable "mapping_table_arn" {
  description = "ARN of the mapping table; the state machine role may update items in this table only."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the domains' EFS mount targets. The DataSync security group is created here."
  type        = string
}

variable "subnet_id" {
  description = "Subnet DataSync places its network interfaces in. It must reach an EFS mount target of both the source and the target file system."
  type        = string
}

variable "max_concurrent_restores" {
  description = "How many restores may hold DataSync tasks at the same time: the workflow's and, when the provider's `slots_table` names this module's table, the provider's (one budget). The account's DataSync task quota (100 per Region by default) is shared with every other DataSync user of the account, so at most 90: at least 10 tasks stay for others. More restores wait for a slot instead of failing."
  type        = number
  default     = 20

  validation {
    condition     = var.max_concurrent_restores >= 1 && var.max_concurrent_restores <= 90 && floor(var.max_concurrent_restores) == var.max_concurrent_restores
    error_message = "The max_concurrent_restores must be a whole number from 1 to 90: the account's DataSync task quota (100 by default) is shared with every other DataSync user, and at least 10 tasks stay for them."
  }
}

variable "queue_wait_max_attempts" {
  description = "How many times a queued restore tries to take a DataSync slot (backoff capped at `queue_wait_max_delay_seconds`, full jitter) before it fails. The default waits roughly half a day."
  type        = number
  default     = 300
}

variable "queue_wait_max_delay_seconds" {
  description = "Longest wait, in seconds, between two attempts to take a DataSync slot."
  type        = number
  default     = 300
}

variable "execution_timeout_seconds" {
  description = "Backstop on a whole execution. The workflow's own waits are bounded by its input options and end in cleanup; an execution stopped by this timeout leaves DataSync resources for the reconciler to delete."
  type        = number
  default     = 259200
}

variable "in_transit_encryption" {
  description = "DataSync EFS location in-transit encryption: TLS1_2 (recommended) or NONE."
  type        = string
  default     = "TLS1_2"

  validation {
    condition     = contains(["TLS1_2", "NONE"], var.in_transit_encryption)
    error_message = "The in_transit_encryption must be TLS1_2 or NONE."
  }
}

variable "studio_gid" {
  description = "POSIX group of restored files: the target is written through an EFS access point with the target's uid and this gid. SageMaker Studio uses 1001 for home directories."
  type        = number
  default     = 1001
}

variable "task_options" {
  description = "DataSync task Options for every restore (https://docs.aws.amazon.com/datasync/latest/userguide/API_Options.html). The default, the provider's too (studio_core::restore::TransferOptions, which a test keeps equal), never overwrites a file the user already has in the new home, keeps modes and timestamps, never deletes, and logs only errors (no per-file paths in CloudWatch). A restore that follows an interrupted attempt of the same copy overrides OverwriteMode with ALWAYS and TransferMode with ALL for that attempt, so that no partially copied file is kept. Keep Uid and Gid NONE: the target's access point owns what is written."
  type        = map(string)
  default = {
    OverwriteMode        = "NEVER"
    TransferMode         = "CHANGED"
    PreserveDeletedFiles = "PRESERVE"
    PreserveDevices      = "NONE"
    VerifyMode           = "ONLY_FILES_TRANSFERRED"
    Uid                  = "NONE"
    Gid                  = "NONE"
    PosixPermissions     = "PRESERVE"
    Atime                = "BEST_EFFORT"
    Mtime                = "PRESERVE"
    TaskQueueing         = "ENABLED"
    LogLevel             = "BASIC"
  }
}

variable "create_notification_topic" {
  description = "Create the SNS topic for failed restores. Set false and pass `notification_topic_arn` to use a topic of your own."
  type        = bool
  default     = true
}

variable "notification_topic_arn" {
  description = "SNS topic of your own that receives a message naming the domain, profile or space and uid of every failed restore (with `create_notification_topic = false`)."
  type        = string
  default     = null
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the created notification topic. Each must confirm the subscription."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the state machine and DataSync log groups, in days."
  type        = number
  default     = 90
}

variable "kms_key_arn" {
  description = "KMS key for the log groups, the notification topic and the slots table. Null: the log groups and the table use AWS-owned keys (their services always encrypt), and the topic the AWS managed key alias/aws/sns (SNS would not encrypt at all)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource, and for the objects each restore creates (access point, DataSync locations, task and task execution) next to their `studio-restore:owner` tag."
  type        = map(string)
  default     = {}

  validation {
    # The objects a restore creates are DataSync objects: DataSync API Reference, TagListEntry
    # (keys of letters, digits, spaces and +=._:/-, values also @, each 1-256 long), at most 50
    # tags (CreateTask, Tags) with the ownership tag. The ownership tag key is the workflow's own.
    condition = length(var.tags) <= 49 && alltrue([
      for key, value in var.tags :
      can(regex("^[a-zA-Z0-9\\s+=._:/-]{1,256}$", key)) && can(regex("^[a-zA-Z0-9\\s+=._:@/-]{1,256}$", value)) && key != "studio-restore:owner"
    ])
    error_message = "The tags must suit DataSync (at most 49; keys of 1-256 letters, digits, spaces and +=._:/-; values of 1-256, also @), and must not use the key studio-restore:owner."
  }
}
