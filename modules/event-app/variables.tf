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
  description = "Name of the mapping table (one row per home; see ARCHITECTURE.md, Data model)."
  type        = string
  default     = "studioUser"
}

variable "history_table_name" {
  description = "Name of the append-only history table."
  type        = string
  default     = "studioUserHistory"
}

variable "state_machine_arn" {
  description = "ARN of the restore workflow (restore-workflow output `state_machine_arn`)."
  type        = string
}

variable "slots_table_arn" {
  description = "ARN of the restore workflow's DataSync slot table (restore-workflow output `slots_table_arn`): the reconciler frees slots of executions that ended without releasing them."
  type        = string
}

variable "event_processor_zip" {
  description = "Path of the event processor's Lambda zip (`bootstrap` inside), as `scripts/build-lambdas` writes it."
  type        = string
}

variable "stream_processor_zip" {
  description = "Path of the stream processor's Lambda zip."
  type        = string
}

variable "reconciler_zip" {
  description = "Path of the reconciler's Lambda zip."
  type        = string
}

variable "lambda_runtime" {
  description = "Lambda runtime of the three functions (Rust `bootstrap` binaries for x86_64). `provided.al2023` needs hashicorp/aws >= 5.26; use `provided.al2` with older releases."
  type        = string
  default     = "provided.al2023"
}

variable "lambda_memory_mb" {
  description = "Memory of each function, in MB."
  type        = number
  default     = 256
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the event and stream processors, in seconds."
  type        = number
  default     = 60
}

variable "reconciler_timeout_seconds" {
  description = "Timeout of the reconciler, in seconds: it lists every domain, profile and space."
  type        = number
  default     = 900
}

variable "domain_ids" {
  description = "Track only these domain ids (the event rule and the reconciler). Empty tracks every domain in the region."
  type        = list(string)
  default     = []
}

variable "event_bus_name" {
  description = "Event bus that receives the CloudTrail events (the account's default bus unless they are forwarded elsewhere)."
  type        = string
  default     = "default"
}

variable "event_max_retry_attempts" {
  description = "How many times EventBridge and Lambda retry a CloudTrail event the event processor failed, before it goes to the failure queue."
  type        = number
  default     = 4
}

variable "stream_batch_size" {
  description = "Mapping-table stream records per stream processor invocation."
  type        = number
  default     = 10
}

variable "stream_max_retry_attempts" {
  description = "Retries of a failing stream batch (after bisecting) before its records go to the failure queue. Bounded, so that one bad record never blocks its shard for the stream's 24 hours."
  type        = number
  default     = 5
}

variable "stream_max_record_age_seconds" {
  description = "Stream records older than this go to the failure queue instead of being processed."
  type        = number
  default     = 21600
}

variable "create_event_source_mapping" {
  description = "Create the mapping-table stream's event source mapping. Set false to declare your own, for example with `function_response_types = [\"ReportBatchItemFailures\"]` on hashicorp/aws versions newer than 3.39 (then also set `partial_batch_response`)."
  type        = bool
  default     = true
}

variable "partial_batch_response" {
  description = "The stream's event source mapping reports batch item failures (ReportBatchItemFailures). When false, the stream processor fails the whole batch on any bad record and the mapping bisects it down to that record."
  type        = bool
  default     = false
}

variable "restore_excludes" {
  description = "DataSync SIMPLE_PATTERN exclude filter of automatic restores (`|`-separated); empty excludes nothing."
  type        = string
  default     = "*/.ipynb_checkpoints"
}

variable "restore_wait_for_app" {
  description = "Automatic restores wait until the recreated profile or space has an app InService (Studio creates the home directory then)."
  type        = bool
  default     = true
}

variable "restore_poll_seconds" {
  description = "How often an automatic restore checks whether its target is ready and how its transfer is doing, in seconds. The waits stay bounded at an hour for the target and a day for the transfer."
  type        = number
  default     = 30

  validation {
    condition     = var.restore_poll_seconds >= 1 && var.restore_poll_seconds <= 3600
    error_message = "The restore_poll_seconds must be between 1 and 3600."
  }
}

variable "restore_attempts" {
  description = "How many times the reconciler tries an automatic restore that failed or was stopped, counting the first attempt (1 to 10). Null: the reconciler's default."
  type        = number
  default     = null

  validation {
    condition     = var.restore_attempts == null ? true : (var.restore_attempts >= 1 && var.restore_attempts <= 10 && floor(var.restore_attempts) == var.restore_attempts)
    error_message = "The restore_attempts must be a whole number from 1 to 10, or null."
  }
}

variable "restore_retry_backoff_seconds" {
  description = "How long the reconciler waits after a failed automatic restore before it tries again, in seconds; doubled after every further failure. A retry starts at the first reconciler run after that. Null: the reconciler's default."
  type        = number
  default     = null

  validation {
    condition     = var.restore_retry_backoff_seconds == null ? true : var.restore_retry_backoff_seconds >= 0
    error_message = "The restore_retry_backoff_seconds must be 0 or more, or null."
  }
}

variable "reconcile_schedule" {
  description = "Schedule expression of the reconciler, which seeds missing rows and starts the restores that events missed."
  type        = string
  default     = "rate(1 hour)"
}

variable "reconciler_max_starts" {
  description = "Most restores one reconciler run starts; the rest wait for the next run."
  type        = number
  default     = 100
}

variable "run_reconciler_on_deploy" {
  description = "Seed the mapping table with the existing profiles and spaces when the reconciler is deployed: apply writes one item into the `<name_prefix>-deployments` table, whose stream runs the reconciler in seed mode (asynchronously; a failure goes to the failure queue). It runs again only when the reconciler's code changes; `terraform plan` never invokes anything."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 90
}

variable "log_level" {
  description = "RUST_LOG filter of the functions."
  type        = string
  default     = "info"
}

variable "kms_key_arn" {
  description = "KMS key for the tables, the failure queue and the log groups. Null uses AWS-owned keys."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "create_trail" {
  description = "Create a CloudTrail trail (write management events of this Region, logging on) with an S3 bucket of its own. EventBridge gets the CloudTrail events of CreateUserProfile and CreateSpace only while such a trail logs them; leave false when the account already has a trail that records management events in this Region (an organization or multi-Region trail counts)."
  type        = bool
  default     = false
}

variable "trail_log_expiration_days" {
  description = "With `create_trail`, days after which the trail's log files are deleted from its bucket; null keeps them."
  type        = number
  default     = 365

  validation {
    condition     = var.trail_log_expiration_days == null ? true : (var.trail_log_expiration_days >= 1 && floor(var.trail_log_expiration_days) == var.trail_log_expiration_days)
    error_message = "The trail_log_expiration_days must be a whole number of days, 1 or more, or null."
  }
}

variable "trail_kms_key_arn" {
  description = "With `create_trail`, a KMS key ARN for the trail's log files (its key policy must let cloudtrail.amazonaws.com use it); null: SSE-S3, the bucket's default encryption."
  type        = string
  default     = null

  validation {
    condition     = var.trail_kms_key_arn == null ? true : can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.trail_kms_key_arn))
    error_message = "The trail_kms_key_arn must be a KMS key or alias ARN (arn:<partition>:kms:<region>:<account>:key/<id>), or null."
  }
}
