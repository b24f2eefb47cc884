# The inputs of restore-workflow and event-app that a deployment chooses, with the children's
# types and defaults (scripts/module-docs --check fails when one differs) and validated there:
# an error names the same variable. Inputs that one child takes from the other (the mapping
# table, the state machine, the slots table) are wired in main.tf.

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
  description = "EFS mount-target security groups to open NFS into from DataSync, by a name of your choice (usually the domain), e.g. { studio = \"sg-...\" } (SageMaker names them `security-group-for-inbound-nfs-<domain id>`)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for id in values(var.efs_security_group_ids) : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "Every value of efs_security_group_ids must be a security group id, sg- followed by 8 or 17 hexadecimal digits."
  }
}

variable "efs_domain_ids" {
  description = "Domains whose EFS mount targets DataSync may reach, by a name of your choice, e.g. { studio = \"d-...\" }: the security group SageMaker created for each (`security-group-for-inbound-nfs-<domain id>`, in `vpc_id`) is looked up by name, so the domain may be created in the same apply. A name also in `efs_security_group_ids` uses that group instead."
  type        = map(string)
  default     = {}
}

variable "lambda_dir" {
  description = "Directory with the Lambda zips as `scripts/build-lambdas` writes them: <dir>/<function>/bootstrap.zip (function: studio-event-processor, studio-stream-processor, studio-reconciler, and studio-copier with `copier_file_system_id`). Null when `lambda_s3_packages` names every function's S3 object."
  type        = string
  default     = null
}

variable "lambda_s3_packages" {
  description = "Lambda packages in S3 instead of local zips, by function (`event-processor`, `stream-processor`, `reconciler`): `{ bucket = \"...\", key = \"...\", object_version = \"...\", source_code_hash = \"...\" }`, `object_version` and `source_code_hash` optional. Pin a package with `object_version` (a versioned bucket) and let Terraform see a new one with `source_code_hash` (the base64 SHA-256 of the zip: `openssl dgst -sha256 -binary bootstrap.zip | base64`; Lambda reports the same as `CodeSha256`). A function listed here ignores its `*_zip` path."
  type        = map(map(string))
  default     = {}
}

variable "lambda_runtime" {
  description = "Lambda runtime of the three functions (Rust `bootstrap` binaries). `provided.al2023` needs hashicorp/aws >= 5.26; use `provided.al2` with older releases."
  type        = string
  default     = "provided.al2023"
}

variable "lambda_architecture" {
  description = "Instruction set of the Lambda packages. Only `x86_64`, Lambda's default: hashicorp/aws 3.39, the tested floor, has no `architectures` argument on `aws_lambda_function` (hashicorp/aws 3.61 added it), so an `arm64` package cannot be declared here yet."
  type        = string
  default     = "x86_64"
}

variable "lambda_memory_mb" {
  description = "Memory of each function, in MB (Lambda allows 128 to 10240)."
  type        = number
  default     = 256
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the event and stream processors, in seconds (1 to 900)."
  type        = number
  default     = 60
}

variable "reconciler_timeout_seconds" {
  description = "Timeout of the reconciler, in seconds (1 to 900): it lists every domain, profile and space."
  type        = number
  default     = 900
}

variable "domain_ids" {
  description = "Track the domains with these ids (the event rule, the event processor and the reconciler). A recreated domain gets a new id: to follow a domain through recreations, list its name in `domain_names`. Both empty: every domain in the region."
  type        = list(string)
  default     = []
}

variable "domain_names" {
  description = "Track the domains with these names too, whatever their id: a domain recreated under the same name stays tracked (homes are keyed on the domain name). The event rule cannot match names (CloudTrail's request holds only the id), so with names the rule passes every domain's events and the event processor drops the others. Both empty: every domain in the region."
  type        = list(string)
  default     = []
}

variable "mapping_table_name" {
  description = "Name of the mapping table (one row per home; see ARCHITECTURE.md, Data model). Null: `<name_prefix>-mapping`. Set `studioUser` to keep the table of a deployment made before the names followed `name_prefix` (the `studio` provider's default `user_table`)."
  type        = string
  default     = null
}

variable "history_table_name" {
  description = "Name of the append-only history table. Null: `<name_prefix>-history`. Set `studioUserHistory` to keep the table of a deployment made before the names followed `name_prefix` (the `studio` provider's default `history_table`)."
  type        = string
  default     = null
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
}

variable "restore_attempts" {
  description = "How many times the reconciler tries an automatic restore that failed or was stopped, counting the first attempt (1 to 10); null: the reconciler's default (3)."
  type        = number
  default     = null
}

variable "restore_retry_backoff_seconds" {
  description = "How long the reconciler waits after a failed automatic restore before it tries again, in seconds; doubled after every further failure. A retry starts at the first reconciler run after that; null: the reconciler's default (600)."
  type        = number
  default     = null
}

variable "reconcile_schedule" {
  description = "Schedule expression of the reconciler, which seeds missing rows and starts the restores that events missed: `rate(<n> minute|minutes|hour|hours|day|days)` or `cron(<6 fields>)` (EventBridge schedule expressions)."
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

variable "log_level" {
  description = "RUST_LOG filter of the functions."
  type        = string
  default     = "info"
}

variable "max_concurrent_restores" {
  description = "How many restores may hold DataSync tasks at the same time: the workflow's and, when the provider's `slots_table` names this module's table, the provider's (one budget). The account's DataSync task quota (100 per Region by default) is shared with every other DataSync user of the account, so at most 90: at least 10 tasks stay for others. More restores wait for a slot instead of failing."
  type        = number
  default     = 20
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
}

variable "studio_gid" {
  description = "POSIX group of restored files, whatever the engine: DataSync writes the target through an EFS access point with the target's uid and this gid, and the copier gives every entry it writes (and a home it creates) the same. SageMaker Studio uses 1001 for home directories."
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
  description = "Retention of every log group (the functions', the state machine's and DataSync's), in days: one of CloudWatch Logs' values, or 0 to keep them forever (see event-app)."
  type        = number
  default     = 90
}

variable "kms_key_arn" {
  description = "Customer managed KMS key (its key ARN) for the tables, the queue, the topic and the log groups; its key policy needs the statements of the output `kms_key_policy_json`. Null: AWS owned keys for the tables and logs, SSE-SQS for the queue, the AWS managed key alias/aws/sns for the topic."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource, and for the objects each restore creates (access point, DataSync locations, task and task execution) next to their `studio-restore:owner` tag (see restore-workflow for DataSync's tag rules)."
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

variable "create_copier" {
  description = "Deploy the native engine's copier for `copier_file_system_id`, from `<lambda_dir>/studio-copier/bootstrap.zip`: `studio_profile_restore` with `copier_function` (output `copier_function_name`) then restores homes within that file system in seconds, without DataSync. A variable of its own so that it is known at plan when the file system is created in the same apply."
  type        = bool
  default     = false
}

variable "copier_file_system_id" {
  description = "The domain's home EFS file system (`home_efs_file_system_id`) the copier mounts, with `create_copier`."
  type        = string
  default     = null
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
