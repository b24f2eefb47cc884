data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Executions of the restore workflow, for DescribeExecution.
  execution_arns = "${replace(var.state_machine_arn, ":stateMachine:", ":execution:")}:*"

  # The one ownership tag key of every object a restore creates (studio_core::sweep::OWNER_TAG;
  # tests/emulator/test_iam_policies.py keeps them equal). The reconciler's sweeper deletes only
  # objects whose owner is a restore workflow execution (its ARN) or a provider restore
  # (`provider/<restore id>/<table>/<run>`).
  owner_tag    = "studio-restore:owner"
  swept_owners = [local.execution_arns, "provider/*"]

  # Every name follows name_prefix, so that deployments with different prefixes fit side by side
  # in one account and Region. The tables keep a name set explicitly (e.g. the provider's
  # defaults, studioUser and studioUserHistory, of deployments made before).
  mapping_table_name = var.mapping_table_name != null ? var.mapping_table_name : "${var.name_prefix}-mapping"
  history_table_name = var.history_table_name != null ? var.history_table_name : "${var.name_prefix}-history"

  functions = {
    event-processor  = { zip = var.event_processor_zip, timeout = var.lambda_timeout_seconds }
    stream-processor = { zip = var.stream_processor_zip, timeout = var.lambda_timeout_seconds }
    reconciler       = { zip = var.reconciler_zip, timeout = var.reconciler_timeout_seconds }
  }
  function_names = { for key, _ in local.functions : key => "${var.name_prefix}-${key}" }
  # IAM is global: the Region in the role names keeps deployments with the same prefix in two
  # Regions apart (name_prefix's validation keeps them within IAM's 64 characters).
  role_names = { for key, _ in local.functions : key => "${var.name_prefix}-${key}-${local.region}" }

  # Each function's package: its S3 object when lambda_s3_packages names one, else its local zip.
  # A function with neither gets a path that names the two variables, so that the plan fails on
  # it with that message ("no such file or directory") instead of with a null argument.
  packages = {
    for key, function in local.functions : key => (
      contains(keys(var.lambda_s3_packages), key) ? {
        path             = null
        s3_bucket        = var.lambda_s3_packages[key]["bucket"]
        s3_key           = var.lambda_s3_packages[key]["key"]
        s3_version       = lookup(var.lambda_s3_packages[key], "object_version", null)
        source_code_hash = lookup(var.lambda_s3_packages[key], "source_code_hash", null)
        } : {
        path             = function.zip != null ? function.zip : "no package for ${key}: set ${replace(key, "-", "_")}_zip or lambda_s3_packages[\"${key}\"]"
        s3_bucket        = null
        s3_key           = null
        s3_version       = null
        source_code_hash = filebase64sha256(function.zip != null ? function.zip : "no package for ${key}: set ${replace(key, "-", "_")}_zip or lambda_s3_packages[\"${key}\"]")
      }
    )
  }

  # Tracked domains: by id, by name, or every domain (studio_core::domain_filter, which the
  # event processor and the reconciler read from DOMAIN_IDS and DOMAIN_NAMES).
  domain_filter = {
    DOMAIN_IDS   = join(",", var.domain_ids)
    DOMAIN_NAMES = join(",", var.domain_names)
  }

  common_environment = {
    MAPPING_TABLE = aws_dynamodb_table.mapping.name
    HISTORY_TABLE = aws_dynamodb_table.history.name
    RUST_LOG      = var.log_level
  }

  environment = {
    event-processor = merge(local.common_environment, local.domain_filter)
    stream-processor = merge(local.common_environment, {
      STATE_MACHINE_ARN      = var.state_machine_arn
      PARTIAL_BATCH_RESPONSE = tostring(var.partial_batch_response)
      RESTORE_EXCLUDES       = var.restore_excludes
      RESTORE_WAIT_FOR_APP   = tostring(var.restore_wait_for_app)
      RESTORE_POLL_SECONDS   = tostring(var.restore_poll_seconds)
    })
    reconciler = merge(local.common_environment, local.domain_filter, {
      STATE_MACHINE_ARN    = var.state_machine_arn
      SLOTS_TABLE          = element(split("/", var.slots_table_arn), 1)
      MAX_STARTS           = tostring(var.reconciler_max_starts)
      RESTORE_EXCLUDES     = var.restore_excludes
      RESTORE_WAIT_FOR_APP = tostring(var.restore_wait_for_app)
      RESTORE_POLL_SECONDS = tostring(var.restore_poll_seconds)
      # Unset: the reconciler's own default (studio_core::workflow::RetrySchedule).
      RESTORE_ATTEMPTS              = var.restore_attempts == null ? "" : tostring(var.restore_attempts)
      RESTORE_RETRY_BACKOFF_SECONDS = var.restore_retry_backoff_seconds == null ? "" : tostring(var.restore_retry_backoff_seconds)
    })
  }

  # Successful CreateUserProfile/CreateSpace calls only: a failed call has an errorCode. The
  # request names the domain by id only: with domain_names, every domain's events pass the rule
  # and the event processor keeps those of tracked domains.
  event_pattern = {
    source        = ["aws.sagemaker"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = merge(
      {
        eventSource = ["sagemaker.amazonaws.com"]
        eventName   = ["CreateUserProfile", "CreateSpace"]
        errorCode   = [{ exists = false }]
      },
      length(var.domain_ids) == 0 || length(var.domain_names) > 0 ? {} : { requestParameters = { domainId = var.domain_ids } },
    )
  }
}

# ---------------------------------------------------------------------------------------------
# Tables

resource "aws_dynamodb_table" "mapping" {
  name             = local.mapping_table_name
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "home"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "home"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "history" {
  name         = local.history_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "home"
  range_key    = "at"

  attribute {
    name = "home"
    type = "S"
  }

  attribute {
    name = "at"
    type = "N"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

# Events and stream records that could not be processed after their bounded retries.
resource "aws_sqs_queue" "failures" {
  name                      = "${var.name_prefix}-event-failures"
  message_retention_seconds = 1209600
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

data "aws_iam_policy_document" "failures_queue" {
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.profile_created.arn, aws_cloudwatch_event_rule.reconcile.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "failures" {
  queue_url = aws_sqs_queue.failures.id
  policy    = data.aws_iam_policy_document.failures_queue.json
}

# ---------------------------------------------------------------------------------------------
# Functions

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.functions
  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "function" {
  for_each          = local.functions
  function_name     = local.function_names[each.key]
  role              = aws_iam_role.function[each.key].arn
  runtime           = var.lambda_runtime
  handler           = "bootstrap"
  filename          = local.packages[each.key].path
  s3_bucket         = local.packages[each.key].s3_bucket
  s3_key            = local.packages[each.key].s3_key
  s3_object_version = local.packages[each.key].s3_version
  source_code_hash  = local.packages[each.key].source_code_hash
  memory_size       = var.lambda_memory_mb
  timeout           = each.value.timeout

  environment {
    variables = local.environment[each.key]
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

# ---------------------------------------------------------------------------------------------
# CloudTrail events → event processor

resource "aws_cloudwatch_event_rule" "profile_created" {
  name           = "${var.name_prefix}-profile-created"
  description    = "Successful SageMaker CreateUserProfile and CreateSpace calls, for studio-restore's event processor."
  event_bus_name = var.event_bus_name
  event_pattern  = jsonencode(local.event_pattern)
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "event_processor" {
  rule           = aws_cloudwatch_event_rule.profile_created.name
  event_bus_name = var.event_bus_name
  target_id      = "event-processor"
  arn            = aws_lambda_function.function["event-processor"].arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = var.event_max_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.failures.arn
  }
}

resource "aws_lambda_permission" "events" {
  statement_id  = "AllowProfileCreatedRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["event-processor"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.profile_created.arn
}

# An event the function failed is retried, then kept in the failure queue: never lost.
resource "aws_lambda_function_event_invoke_config" "event_processor" {
  function_name                = aws_lambda_function.function["event-processor"].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Mapping-table stream → stream processor

resource "aws_lambda_event_source_mapping" "stream" {
  count             = var.create_event_source_mapping ? 1 : 0
  event_source_arn  = aws_dynamodb_table.mapping.stream_arn
  function_name     = aws_lambda_function.function["stream-processor"].arn
  starting_position = "TRIM_HORIZON"
  batch_size        = var.stream_batch_size
  # One batch per shard at a time: records of a home are processed in order.
  parallelization_factor         = 1
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = var.stream_max_retry_attempts
  maximum_record_age_in_seconds  = var.stream_max_record_age_seconds

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failures.arn
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Reconciler: on a schedule, and once at deploy

resource "aws_cloudwatch_event_rule" "reconcile" {
  name                = "${var.name_prefix}-reconcile"
  description         = "Runs studio-restore's reconciler: seeds missing mapping rows and starts the restores events missed."
  schedule_expression = var.reconcile_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "reconciler" {
  rule      = aws_cloudwatch_event_rule.reconcile.name
  target_id = "reconciler"
  arn       = aws_lambda_function.function["reconciler"].arn
  input     = jsonencode({ mode = "reconcile" })

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 2
  }

  dead_letter_config {
    arn = aws_sqs_queue.failures.arn
  }
}

resource "aws_lambda_permission" "reconcile" {
  statement_id  = "AllowReconcileSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["reconciler"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.reconcile.arn
}

# Seeding at deploy, at apply only. A plan must never have side effects, so this is no
# `aws_lambda_invocation` data source (read again at every plan) and hashicorp/aws 3.39.0 has no
# invocation resource: a deploy writes one item into a small table whose stream invokes the
# reconciler in `seed` mode. The item changes, and the reconciler runs again, only when the
# reconciler's code does; `terraform plan` writes nothing, so it invokes nothing.
resource "aws_dynamodb_table" "deployments" {
  count            = var.run_reconciler_on_deploy ? 1 : 0
  name             = "${var.name_prefix}-deployments"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "id"
  stream_enabled   = true
  stream_view_type = "NEW_IMAGE"

  attribute {
    name = "id"
    type = "S"
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_lambda_event_source_mapping" "deployments" {
  count            = var.run_reconciler_on_deploy ? 1 : 0
  event_source_arn = aws_dynamodb_table.deployments[0].stream_arn
  function_name    = aws_lambda_function.function["reconciler"].arn
  # From the start of the shard: the item may be written before the mapping has read its
  # first batch. The shard only ever holds deployments, so an old one at worst seeds once more.
  starting_position      = "TRIM_HORIZON"
  batch_size             = 1
  maximum_retry_attempts = 2

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failures.arn
    }
  }

  depends_on = [aws_iam_role_policy.function]
}

resource "aws_dynamodb_table_item" "deployment" {
  count      = var.run_reconciler_on_deploy ? 1 : 0
  table_name = aws_dynamodb_table.deployments[0].name
  hash_key   = aws_dynamodb_table.deployments[0].hash_key
  item = jsonencode({
    id   = { S = "reconciler" }
    mode = { S = "seed" }
    # A new deployment of the function is a new item version, and so a new run.
    deployment = { S = aws_lambda_function.function["reconciler"].source_code_hash }
  })

  # The mapping must exist before the stream record does.
  depends_on = [aws_lambda_event_source_mapping.deployments]
}
