data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  state_machine_name = "${var.name_prefix}-restore"
  # IAM is global: the Region in the role name keeps deployments with the same prefix in two
  # Regions apart (name_prefix's validation keeps it within IAM's 64 characters).
  role_name = "${var.name_prefix}-restore-workflow-${local.region}"
  log_group_names = {
    state_machine = "/aws/vendedlogs/states/${local.state_machine_name}"
    datasync      = "/aws/datasync/${var.name_prefix}"
  }

  # The one ownership tag key of every object a restore creates (studio_core::sweep::OWNER_TAG;
  # tests/emulator/test_iam_policies.py keeps them equal). Its value on what an execution
  # creates is the execution's ARN, so IAM lets the role create, start and delete only objects
  # tagged with an execution of this state machine.
  owner_tag = "studio-restore:owner"
  # The tags of everything an execution creates (access point, locations, task, task execution):
  # the ownership tag, valued with the execution's ARN, then the module's `tags`, so that a
  # tag-enforcing SCP or a cost report sees them as it sees the module's own resources.
  execution_tags = concat(
    [{ Key = local.owner_tag, "Value.$" = "$$.Execution.Id" }],
    [for key in sort(keys(var.tags)) : { Key = key, Value = var.tags[key] }],
  )
  # What aws:TagKeys may hold when the role creates or tags those objects.
  execution_tag_keys = concat([local.owner_tag], sort(keys(var.tags)))
  own_executions     = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"

  datasync_arns = {
    location  = "arn:${local.partition}:datasync:${local.region}:${local.account_id}:location/*"
    task      = "arn:${local.partition}:datasync:${local.region}:${local.account_id}:task/*"
    execution = "arn:${local.partition}:datasync:${local.region}:${local.account_id}:task/*/execution/*"
  }
  efs_arns = {
    file_system  = "arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:file-system/*"
    access_point = "arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:access-point/*"
  }
  subnet_arn         = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/${var.subnet_id}"
  security_group_arn = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/${aws_security_group.datasync.id}"

  # Without a topic the plan fails here, naming the two variables (Terraform 1.0 has no
  # preconditions; a missing file is its clearest error), rather than inside the ASL template.
  topic_arn = var.create_notification_topic ? aws_sns_topic.notifications[0].arn : (
    var.notification_topic_arn != null ? var.notification_topic_arn : file("create_notification_topic is false and notification_topic_arn is null: set one of them")
  )

  # Capped exponential backoff with full jitter on throttling and transient service errors.
  throttle_retry = {
    IntervalSeconds = 2
    BackoffRate     = 2
    MaxAttempts     = 8
    MaxDelaySeconds = 60
    JitterStrategy  = "FULL"
  }

  definition = templatefile("${path.module}/definition.asl.json", {
    partition                    = local.partition
    owner_tag                    = local.owner_tag
    execution_tags               = jsonencode(local.execution_tags)
    region                       = local.region
    account_id                   = local.account_id
    timeout_seconds              = var.execution_timeout_seconds
    mapping_table                = var.mapping_table_name
    slots_table                  = aws_dynamodb_table.slots.name
    max_concurrent_restores      = var.max_concurrent_restores
    slot_retry_interval_seconds  = 10
    slot_retry_max_delay_seconds = var.queue_wait_max_delay_seconds
    slot_retry_max_attempts      = var.queue_wait_max_attempts
    subnet_arn                   = local.subnet_arn
    security_group_arns          = jsonencode([local.security_group_arn])
    in_transit_encryption        = var.in_transit_encryption
    task_options                 = jsonencode(var.task_options)
    datasync_log_group_arn       = aws_cloudwatch_log_group.datasync.arn
    notification_topic_arn       = local.topic_arn
    retry_throttling_dynamodb = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = [
        "DynamoDB.ProvisionedThroughputExceededException",
        "DynamoDB.ThrottlingException",
        "DynamoDB.RequestLimitExceeded",
        "DynamoDB.InternalServerErrorException",
        "DynamoDB.TransactionConflictException",
      ]
    }))
    retry_throttling_sagemaker = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = ["SageMaker.ThrottlingException", "SageMaker.SageMakerException", "SageMaker.InternalFailure"]
    }))
    # DataSync reports throttling as its generic exception type.
    retry_throttling_datasync = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = ["DataSync.DataSyncException", "DataSync.ThrottlingException", "DataSync.InternalException"]
    }))
    # Creates are retried on throttling only: after a server error (InternalException) the
    # location or task may exist already, and a second call would make a second one. The
    # execution fails instead; what the first call made carries the owner tag, and the
    # reconciler's sweep removes it and its retry schedule tries the restore again.
    retry_throttling_datasync_create = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = ["DataSync.ThrottlingException"]
    }))
    studio_gid = var.studio_gid
    # aws-sdk:efs errors are `Efs.<Error>Exception`: the SDK's service name and error name in
    # PascalCase, with the Exception suffix always added (Step Functions developer guide, "AWS
    # SDK service integrations"). EFS's InternalServerError is therefore
    # Efs.InternalServerErrorException.
    retry_throttling_efs = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = ["Efs.ThrottlingException", "Efs.InternalServerErrorException", "Efs.EfsException"]
    }))
    # The native engine (copier.tf). Empty when it cannot serve: no copier, or the module's
    # VerifyMode is POINT_IN_TIME_CONSISTENT (DataSync's alone, also its default when unset).
    native_file_system_id = local.copier_enabled && lookup(var.task_options, "VerifyMode", "POINT_IN_TIME_CONSISTENT") != "POINT_IN_TIME_CONSISTENT" ? var.copier.file_system_id : ""
    # The function the module deploys (or would, when `copier` is null: never invoked then).
    copier_function_arn = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.copier_name}"
    # The copy modes of task_options, with DataSync's own defaults where it leaves one out.
    native_options = jsonencode({
      OverwriteMode = lookup(var.task_options, "OverwriteMode", "ALWAYS")
      TransferMode  = lookup(var.task_options, "TransferMode", "CHANGED")
      VerifyMode    = lookup(var.task_options, "VerifyMode", "POINT_IN_TIME_CONSISTENT")
    })
    copier_max_concurrency  = var.copier_max_concurrency
    copier_max_invocations  = var.copier_max_invocations
    copier_invocation_limit = var.copier_timeout_seconds + 60
    # Step Functions' advice for Lambda tasks (developer guide, "Handle transient Lambda service
    # exceptions"). A retried invocation is harmless: the copier continues a copy, never redoes it.
    retry_throttling_lambda = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = ["Lambda.TooManyRequestsException", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.EC2ThrottledException"]
    }))
    retry_throttling_sfn = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = ["Sfn.ThrottlingException", "Sfn.SfnException"]
    }))
    retry_throttling_sns = jsonencode(merge(local.throttle_retry, {
      ErrorEquals = ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.KMSThrottlingException"]
    }))
  })
}

resource "aws_sfn_state_machine" "restore" {

  name       = local.state_machine_name
  role_arn   = aws_iam_role.state_machine.arn
  definition = local.definition
  type       = "STANDARD"

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = false
    level                  = "ERROR"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine]
}

# The counting semaphore of the DataSync slots (one item, `datasync-tasks`).
resource "aws_dynamodb_table" "slots" {
  name         = "${var.name_prefix}-restore-slots"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

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

# The cap of the DataSync slots (studio_core::slots::LIMIT_ITEM), for the provider's DataSync
# engine, which shares the budget (its `slots_table`); the workflow's AcquireSlot gets the same
# variable.
resource "aws_dynamodb_table_item" "slots_limit" {
  table_name = aws_dynamodb_table.slots.name
  hash_key   = aws_dynamodb_table.slots.hash_key
  item = jsonencode({
    id    = { S = "datasync-limit" }
    limit = { N = tostring(var.max_concurrent_restores) }
  })
}

resource "aws_security_group" "datasync" {
  name        = "${var.name_prefix}-datasync"
  description = "DataSync network interfaces of studio-restore; the efs-access module opens NFS from here to each domain's EFS."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-datasync" })
}

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = local.log_group_names.state_machine
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "datasync" {
  name              = local.log_group_names.datasync
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "datasync_logs" {
  statement {
    sid       = "DataSyncLogs"
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream"]
    resources = ["${aws_cloudwatch_log_group.datasync.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["datasync.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "datasync" {
  policy_name     = "${var.name_prefix}-datasync"
  policy_document = data.aws_iam_policy_document.datasync_logs.json
}

resource "aws_sns_topic" "notifications" {
  count = var.create_notification_topic ? 1 : 0
  name  = "${var.name_prefix}-restore-failures"
  # SNS encrypts nothing unless told (unlike CloudWatch Logs and DynamoDB, which always do):
  # without a key of the user's, the AWS managed key of SNS (usable by the workflow's role, in
  # this account, through SNS).
  kms_master_key_id = var.kms_key_arn != null ? var.kms_key_arn : "alias/aws/sns"
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = var.create_notification_topic ? toset(var.notification_emails) : toset([])
  topic_arn = aws_sns_topic.notifications[0].arn
  protocol  = "email"
  endpoint  = each.value
}
