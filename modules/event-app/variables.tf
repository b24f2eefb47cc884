variable "name_prefix" {
  description = "Prefix of every resource name, so that several deployments fit in one account and region."
  type        = string
  default     = "studio-restore"

  validation {
    # The longest name built from it is an IAM role, `<name_prefix>-stream-processor-<region>`:
    # 30 + 18 + a Region name of up to 16 characters stays within IAM's 64.
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,29}$", var.name_prefix))
    error_message = "The name_prefix must start with a letter and hold at most 30 letters, digits and hyphens (IAM role names `<name_prefix>-stream-processor-<region>` must fit in 64 characters)."
  }
}

variable "mapping_table_name" {
  description = "Name of the mapping table (one row per home; see ARCHITECTURE.md, Data model). Null: `<name_prefix>-mapping`. Set `studioUser` to keep the table of a deployment made before the names followed `name_prefix` (the `studio` provider's default `user_table`)."
  type        = string
  default     = null

  validation {
    condition     = var.mapping_table_name == null ? true : can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.mapping_table_name))
    error_message = "The mapping_table_name must be null or a DynamoDB table name: 3 to 255 letters, digits and _.-."
  }
}

variable "history_table_name" {
  description = "Name of the append-only history table. Null: `<name_prefix>-history`. Set `studioUserHistory` to keep the table of a deployment made before the names followed `name_prefix` (the `studio` provider's default `history_table`)."
  type        = string
  default     = null

  validation {
    condition     = var.history_table_name == null ? true : can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.history_table_name))
    error_message = "The history_table_name must be null or a DynamoDB table name: 3 to 255 letters, digits and _.-."
  }
}

variable "state_machine_arn" {
  description = "ARN of the restore workflow (restore-workflow output `state_machine_arn`)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[a-zA-Z0-9_-]{1,80}$", var.state_machine_arn))
    error_message = "The state_machine_arn must be a Step Functions state machine ARN, arn:<partition>:states:<region>:<account>:stateMachine:<name>."
  }
}

variable "slots_table_arn" {
  description = "ARN of the restore workflow's DataSync slot table (restore-workflow output `slots_table_arn`): the reconciler frees slots of executions that ended without releasing them."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]{3,255}$", var.slots_table_arn))
    error_message = "The slots_table_arn must be a DynamoDB table ARN, arn:<partition>:dynamodb:<region>:<account>:table/<name>."
  }
}

variable "event_processor_zip" {
  description = "Path of the event processor's Lambda zip (`bootstrap` inside), as `scripts/build-lambdas` writes it. Null when `lambda_s3_packages` names its S3 object instead."
  type        = string
  default     = null
}

variable "stream_processor_zip" {
  description = "Path of the stream processor's Lambda zip. Null when `lambda_s3_packages` names its S3 object instead."
  type        = string
  default     = null
}

variable "reconciler_zip" {
  description = "Path of the reconciler's Lambda zip. Null when `lambda_s3_packages` names its S3 object instead."
  type        = string
  default     = null
}

variable "lambda_s3_packages" {
  description = "Lambda packages in S3 instead of local zips, by function (`event-processor`, `stream-processor`, `reconciler`): `{ bucket = \"...\", key = \"...\", object_version = \"...\", source_code_hash = \"...\" }`, `object_version` and `source_code_hash` optional. Pin a package with `object_version` (a versioned bucket) and let Terraform see a new one with `source_code_hash` (the base64 SHA-256 of the zip: `openssl dgst -sha256 -binary bootstrap.zip | base64`; Lambda reports the same as `CodeSha256`). A function listed here ignores its `*_zip` path."
  type        = map(map(string))
  default     = {}

  validation {
    condition = alltrue([
      for function, package in var.lambda_s3_packages :
      contains(["event-processor", "stream-processor", "reconciler"], function) &&
      length(setsubtract(keys(package), ["bucket", "key", "object_version", "source_code_hash"])) == 0 &&
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", package["bucket"])) &&
      length(lookup(package, "key", "")) > 0 &&
      can(regex("^([A-Za-z0-9+/]{43}=)?$", lookup(package, "source_code_hash", "")))
    ])
    error_message = "The lambda_s3_packages must map event-processor, stream-processor or reconciler to { bucket, key, object_version (optional), source_code_hash (optional, a base64 SHA-256: 44 characters ending in =) }, with an S3 bucket name and a non-empty key, and no other attribute."
  }
}

variable "lambda_runtime" {
  description = "Lambda runtime of the three functions (Rust `bootstrap` binaries). `provided.al2023` needs hashicorp/aws >= 5.26; use `provided.al2` with older releases."
  type        = string
  default     = "provided.al2023"

  validation {
    condition     = contains(["provided.al2023", "provided.al2"], var.lambda_runtime)
    error_message = "The lambda_runtime must be provided.al2023 or provided.al2 (OS-only runtimes: the functions are Rust bootstrap binaries)."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda packages. Only `x86_64`, Lambda's default: hashicorp/aws 3.39, the tested floor, has no `architectures` argument on `aws_lambda_function` (hashicorp/aws 3.61 added it), so an `arm64` package cannot be declared here yet."
  type        = string
  default     = "x86_64"

  validation {
    condition     = var.lambda_architecture == "x86_64"
    error_message = "The lambda_architecture must be x86_64: hashicorp/aws 3.39, the oldest provider these modules support, cannot set a function's architectures, so arm64 packages would run as x86_64 and fail."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of each function, in MB (Lambda allows 128 to 10240)."
  type        = number
  default     = 256

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240 && floor(var.lambda_memory_mb) == var.lambda_memory_mb
    error_message = "The lambda_memory_mb must be a whole number from 128 to 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the event and stream processors, in seconds (1 to 900)."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 900 && floor(var.lambda_timeout_seconds) == var.lambda_timeout_seconds
    error_message = "The lambda_timeout_seconds must be a whole number from 1 to 900 (Lambda's limit)."
  }
}

variable "reconciler_timeout_seconds" {
  description = "Timeout of the reconciler, in seconds (1 to 900): it lists every domain, profile and space."
  type        = number
  default     = 900

  validation {
    condition     = var.reconciler_timeout_seconds >= 1 && var.reconciler_timeout_seconds <= 900 && floor(var.reconciler_timeout_seconds) == var.reconciler_timeout_seconds
    error_message = "The reconciler_timeout_seconds must be a whole number from 1 to 900 (Lambda's limit)."
  }
}

variable "domain_ids" {
  description = "Track the domains with these ids (the event rule, the event processor and the reconciler). A recreated domain gets a new id: to follow a domain through recreations, list its name in `domain_names`. Both empty: every domain in the region."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.domain_ids : can(regex("^d-(-*[a-z0-9]){1,61}$", id))])
    error_message = "Every entry of domain_ids must be a SageMaker domain id: d- followed by lowercase letters and digits (e.g. d-0123456789ab)."
  }
}

variable "domain_names" {
  description = "Track the domains with these names too, whatever their id: a domain recreated under the same name stays tracked (homes are keyed on the domain name). The event rule cannot match names (CloudTrail's request holds only the id), so with names the rule passes every domain's events and the event processor drops the others. Both empty: every domain in the region."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.domain_names : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", name))])
    error_message = "Every entry of domain_names must be a SageMaker domain name: letters, digits and hyphens, starting and ending with a letter or digit, at most 63 characters."
  }
}

variable "event_bus_name" {
  description = "Event bus that receives the CloudTrail events (the account's default bus unless they are forwarded elsewhere)."
  type        = string
  default     = "default"

  validation {
    condition     = can(regex("^[/.\\-_A-Za-z0-9]{1,256}$", var.event_bus_name))
    error_message = "The event_bus_name must be an EventBridge bus name: 1 to 256 letters, digits and /._-."
  }
}

variable "event_max_retry_attempts" {
  description = "How many times EventBridge and Lambda retry a CloudTrail event the event processor failed, before it goes to the failure queue."
  type        = number
  default     = 4

  validation {
    condition     = var.event_max_retry_attempts >= 0 && var.event_max_retry_attempts <= 185 && floor(var.event_max_retry_attempts) == var.event_max_retry_attempts
    error_message = "The event_max_retry_attempts must be a whole number from 0 to 185 (EventBridge's range)."
  }
}

variable "stream_batch_size" {
  description = "Mapping-table stream records per stream processor invocation."
  type        = number
  default     = 10

  validation {
    condition     = var.stream_batch_size >= 1 && var.stream_batch_size <= 10000 && floor(var.stream_batch_size) == var.stream_batch_size
    error_message = "The stream_batch_size must be a whole number from 1 to 10000 (Lambda's range for DynamoDB streams)."
  }
}

variable "stream_max_retry_attempts" {
  description = "Retries of a failing stream batch (after bisecting) before its records go to the failure queue. Bounded, so that one bad record never blocks its shard for the stream's 24 hours."
  type        = number
  default     = 5

  validation {
    condition     = var.stream_max_retry_attempts >= 0 && var.stream_max_retry_attempts <= 10000 && floor(var.stream_max_retry_attempts) == var.stream_max_retry_attempts
    error_message = "The stream_max_retry_attempts must be a whole number from 0 to 10000: bounded, so that a bad record cannot block its shard."
  }
}

variable "stream_max_record_age_seconds" {
  description = "Stream records older than this go to the failure queue instead of being processed."
  type        = number
  default     = 21600

  validation {
    condition     = var.stream_max_record_age_seconds >= 60 && var.stream_max_record_age_seconds <= 604800 && floor(var.stream_max_record_age_seconds) == var.stream_max_record_age_seconds
    error_message = "The stream_max_record_age_seconds must be a whole number from 60 to 604800 (Lambda's bounded range)."
  }
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
  description = "Exclude filter of automatic restores, in DataSync's SIMPLE_PATTERN syntax (`|`-separated, relative to the home, `*` matches anything); the copier applies it as DataSync does. Empty excludes nothing."
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
  description = "How many times the reconciler tries an automatic restore that failed or was stopped, counting the first attempt (1 to 10); null: the reconciler's default (3)."
  type        = number
  default     = null

  validation {
    condition     = var.restore_attempts == null ? true : (var.restore_attempts >= 1 && var.restore_attempts <= 10 && floor(var.restore_attempts) == var.restore_attempts)
    error_message = "The restore_attempts must be a whole number from 1 to 10, or null."
  }
}

variable "restore_retry_backoff_seconds" {
  description = "How long the reconciler waits after a failed automatic restore before it tries again, in seconds; doubled after every further failure. A retry starts at the first reconciler run after that; null: the reconciler's default (600)."
  type        = number
  default     = null

  validation {
    condition     = var.restore_retry_backoff_seconds == null ? true : var.restore_retry_backoff_seconds >= 0
    error_message = "The restore_retry_backoff_seconds must be 0 or more, or null."
  }
}

variable "reconcile_schedule" {
  description = "Schedule expression of the reconciler, which seeds missing rows and starts the restores that events missed: `rate(<n> minute|minutes|hour|hours|day|days)` or `cron(<6 fields>)` (EventBridge schedule expressions)."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(\\S+( \\S+){5}\\))$", var.reconcile_schedule))
    error_message = "The reconcile_schedule must be an EventBridge schedule expression: rate(<n> minute|minutes|hour|hours|day|days) or cron(<minutes> <hours> <day of month> <month> <day of week> <year>)."
  }
}

variable "reconciler_max_starts" {
  description = "Most restores one reconciler run starts; the rest wait for the next run."
  type        = number
  default     = 100

  validation {
    condition     = var.reconciler_max_starts >= 0 && floor(var.reconciler_max_starts) == var.reconciler_max_starts
    error_message = "The reconciler_max_starts must be a whole number, 0 or more."
  }
}

variable "run_reconciler_on_deploy" {
  description = "Seed the mapping table with the existing profiles and spaces when the reconciler is deployed: apply writes one item into the `<name_prefix>-deployments` table, whose stream runs the reconciler in seed mode (asynchronously; a failure goes to the failure queue). It runs again only when the reconciler's code changes; `terraform plan` never invokes anything."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days: one of CloudWatch Logs' values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), or 0 to keep them forever. hashicorp/aws 3.39 knows these up to 3653 except 1096, 2192, 2557, 2922 and 3288."
  type        = number
  default     = 90

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be one of CloudWatch Logs' retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 (never expire)."
  }
}

variable "log_level" {
  description = "RUST_LOG filter of the functions."
  type        = string
  default     = "info"

  validation {
    condition     = length(var.log_level) > 0
    error_message = "The log_level must not be empty (e.g. info, debug, or studio_core=debug,info)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key (its key ARN) for the tables, the failure queue and the log groups; its key policy needs the statements of the output `kms_key_policy_json`. Null: the tables and the log groups use AWS owned keys, the queue SQS-managed encryption (SSE-SQS, SQS's default for new queues)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be null or a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id> (DynamoDB takes no alias)."
  }
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
