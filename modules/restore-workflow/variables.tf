variable "name_prefix" {
  description = "Prefix of every resource name, so that several deployments fit in one account and region."
  type        = string
  default     = "studio-restore"

  validation {
    # The longest name built from it is the IAM role `<name_prefix>-restore-workflow-<region>`:
    # 30 + 18 + a Region name of up to 16 characters stays within IAM's 64.
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,29}$", var.name_prefix))
    error_message = "The name_prefix must start with a letter and hold at most 30 letters, digits and hyphens (the IAM role name `<name_prefix>-restore-workflow-<region>` must fit in 64 characters)."
  }
}

variable "mapping_table_name" {
  description = "Name of the mapping table (event-app output `mapping_table_name`): the state machine records each restore's status and counts on the target home's row."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.mapping_table_name))
    error_message = "The mapping_table_name must be a DynamoDB table name: 3 to 255 letters, digits and _.-."
  }
}

variable "mapping_table_arn" {
  description = "ARN of the mapping table; the state machine role may update items in this table only."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]{3,255}$", var.mapping_table_arn))
    error_message = "The mapping_table_arn must be a DynamoDB table ARN, arn:<partition>:dynamodb:<region>:<account>:table/<name>."
  }
}

variable "vpc_id" {
  description = "VPC of the domains' EFS mount targets. The DataSync security group is created here."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "The vpc_id must be a VPC id, vpc- followed by 8 or 17 hexadecimal digits."
  }
}

variable "subnet_id" {
  description = "Subnet DataSync places its network interfaces in. It must reach an EFS mount target of both the source and the target file system."
  type        = string

  validation {
    condition     = can(regex("^subnet-[0-9a-f]{8,17}$", var.subnet_id))
    error_message = "The subnet_id must be a subnet id, subnet- followed by 8 or 17 hexadecimal digits."
  }
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

  validation {
    condition     = var.queue_wait_max_attempts >= 1 && floor(var.queue_wait_max_attempts) == var.queue_wait_max_attempts
    error_message = "The queue_wait_max_attempts must be a whole number, 1 or more."
  }
}

variable "queue_wait_max_delay_seconds" {
  description = "Longest wait, in seconds, between two attempts to take a DataSync slot."
  type        = number
  default     = 300

  validation {
    condition     = var.queue_wait_max_delay_seconds >= 1 && var.queue_wait_max_delay_seconds <= 3600 && floor(var.queue_wait_max_delay_seconds) == var.queue_wait_max_delay_seconds
    error_message = "The queue_wait_max_delay_seconds must be a whole number from 1 to 3600."
  }
}

variable "execution_timeout_seconds" {
  description = "Backstop on a whole execution. The workflow's own waits are bounded by its input options and end in cleanup; an execution stopped by this timeout leaves DataSync resources for the reconciler to delete."
  type        = number
  default     = 259200

  validation {
    condition     = var.execution_timeout_seconds >= 60 && var.execution_timeout_seconds <= 31536000 && floor(var.execution_timeout_seconds) == var.execution_timeout_seconds
    error_message = "The execution_timeout_seconds must be a whole number from 60 to 31536000 (a standard workflow runs at most a year)."
  }
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
  description = "POSIX group of restored files, whatever the engine: DataSync writes the target through an EFS access point with the target's uid and this gid, and the copier gives every entry it writes (and a home it creates) the same. SageMaker Studio uses 1001 for home directories."
  type        = number
  default     = 1001

  validation {
    condition     = var.studio_gid >= 0 && var.studio_gid <= 4294967294 && floor(var.studio_gid) == var.studio_gid
    error_message = "The studio_gid must be a POSIX gid, a whole number from 0 to 4294967294."
  }
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

  validation {
    condition     = var.notification_topic_arn == null ? true : can(regex("^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", var.notification_topic_arn))
    error_message = "The notification_topic_arn must be null or an SNS topic ARN, arn:<partition>:sns:<region>:<account>:<name> (a standard topic)."
  }
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the created notification topic. Each must confirm the subscription."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "Every entry of notification_emails must be an e-mail address."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine and DataSync log groups, in days: one of CloudWatch Logs' values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), or 0 to keep them forever. hashicorp/aws 3.39 knows these up to 3653 except 1096, 2192, 2557, 2922 and 3288."
  type        = number
  default     = 90

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be one of CloudWatch Logs' retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 (never expire)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key (its key ARN) for the log groups, the notification topic and the slots table; its key policy needs the statements of the output `kms_key_policy_json`. Null: the log groups and the table use AWS owned keys (their services always encrypt), and the topic the AWS managed key alias/aws/sns (SNS would not encrypt at all)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be null or a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id> (DynamoDB takes no alias)."
  }
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

variable "copier" {
  description = "The native engine's copier: a Lambda function that copies home directories within one domain's EFS file system in seconds, without DataSync. `file_system_id`: the domain's home file system (`home_efs_file_system_id`); `zip`: the copier's package (`scripts/build-lambdas` writes `target/lambda/studio-copier/bootstrap.zip`). Null (default): no copier; restores use DataSync. Its network interfaces use the DataSync security group in `subnet_id`, so the efs-access module's rule for that group lets it reach the file system."
  type = object({
    file_system_id = string
    zip            = string
  })
  default = null

  validation {
    condition     = var.copier == null || can(regex("^fs-[0-9a-f]{8,40}$", var.copier.file_system_id))
    error_message = "The copier's file_system_id must be an EFS file system id, fs- followed by hexadecimal digits."
  }
}

variable "copier_runtime" {
  description = "Lambda runtime of the copier (an x86_64 Rust `bootstrap`). `provided.al2023` needs hashicorp/aws >= 5.26; use `provided.al2` with older releases."
  type        = string
  default     = "provided.al2023"

  validation {
    condition     = contains(["provided.al2023", "provided.al2"], var.copier_runtime)
    error_message = "The copier_runtime must be provided.al2023 or provided.al2."
  }
}

variable "copier_memory_mb" {
  description = "Memory of the copier, in MB; Lambda gives CPU in proportion (1769 MB is one vCPU). The copy itself uses little memory: EFS latency, not CPU, bounds it."
  type        = number
  default     = 1769

  validation {
    condition     = var.copier_memory_mb >= 128 && var.copier_memory_mb <= 10240 && floor(var.copier_memory_mb) == var.copier_memory_mb
    error_message = "The copier_memory_mb must be a whole number from 128 to 10240."
  }
}

variable "copier_timeout_seconds" {
  description = "Longest invocation of the copier, in seconds (at most Lambda's 900). A home that takes longer is copied over several invocations: each continues where the last stopped."
  type        = number
  default     = 900

  validation {
    condition     = var.copier_timeout_seconds >= 1 && var.copier_timeout_seconds <= 900 && floor(var.copier_timeout_seconds) == var.copier_timeout_seconds
    error_message = "The copier_timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "copier_reserve_seconds" {
  description = "Seconds of each copier invocation kept back from copying, for the files in flight to finish and the answer to be sent. Every invocation still copies at least one entry, however large the reserve."
  type        = number
  default     = 20

  validation {
    condition     = var.copier_reserve_seconds >= 0 && var.copier_reserve_seconds <= 900
    error_message = "The copier_reserve_seconds must be from 0 to 900."
  }
}

variable "copier_max_concurrency" {
  description = "Top-level directories of one home that the workflow copies at once with the copier (its Map state's MaxConcurrency): a large home is copied as parallel invocations, one per directory, then a last pass copies the rest. Each counts against the account's Lambda concurrency."
  type        = number
  default     = 8

  validation {
    condition     = var.copier_max_concurrency >= 1 && var.copier_max_concurrency <= 40 && floor(var.copier_max_concurrency) == var.copier_max_concurrency
    error_message = "The copier_max_concurrency must be a whole number from 1 to 40 (an inline Map state runs at most 40 iterations at once)."
  }
}

variable "copier_max_invocations" {
  description = "Most copier invocations the workflow makes for one directory (and for the last whole-home pass) before it fails the restore as too long: with copier_timeout_seconds, the longest copy it waits for."
  type        = number
  default     = 100

  validation {
    condition     = var.copier_max_invocations >= 1 && var.copier_max_invocations <= 1000 && floor(var.copier_max_invocations) == var.copier_max_invocations
    error_message = "The copier_max_invocations must be a whole number from 1 to 1000."
  }
}
