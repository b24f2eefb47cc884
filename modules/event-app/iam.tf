data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.functions
  name               = local.role_names[each.key]
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
  tags               = var.tags
}

locals {
  sagemaker_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"

  describe_homes = {
    sid     = "DescribeHomes"
    actions = ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile", "sagemaker:DescribeSpace"]
    resources = [
      "${local.sagemaker_arn}:domain/*",
      "${local.sagemaker_arn}:user-profile/*/*",
      "${local.sagemaker_arn}:space/*/*",
    ]
  }

  logs = {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for name, group in aws_cloudwatch_log_group.function : "${group.arn}:*"]
  }

  datasync_arn = "arn:${local.partition}:datasync:${local.region}:${local.account_id}"
  efs_arn      = "arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}"

  # The sweeper (studio_core::sweep): finds the DataSync and EFS objects carrying
  # local.owner_tag, and removes those whose owner no longer runs. Service Authorization
  # Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsdatasync.html
  # and https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticfilesystem.html
  sweeper = [
    {
      sid = "SweepListDataSync"
      # ListTasks, ListLocations and ListTaskExecutions support no resource type (Resource must
      # be "*"; list_awsdatasync.html, Actions table).
      actions   = ["datasync:ListTasks", "datasync:ListLocations", "datasync:ListTaskExecutions"]
      resources = ["*"]
    },
    {
      sid = "SweepReadDataSync"
      # ListTagsForResource (location, task, taskexecution), DescribeTask (task*) and
      # DescribeTaskExecution (taskexecution*): reads, scoped to this account and region.
      actions   = ["datasync:ListTagsForResource", "datasync:DescribeTask", "datasync:DescribeTaskExecution"]
      resources = ["${local.datasync_arn}:location/*", "${local.datasync_arn}:task/*", "${local.datasync_arn}:task/*/execution/*"]
    },
    {
      sid = "SweepDataSync"
      # CancelTaskExecution (taskexecution*), DeleteTask (task*), DeleteLocation (location*):
      # each resource type supports aws:ResourceTag (list_awsdatasync.html). Only objects owned
      # by a restore workflow execution or a provider restore.
      actions   = ["datasync:CancelTaskExecution", "datasync:DeleteTask", "datasync:DeleteLocation"]
      resources = ["${local.datasync_arn}:location/*", "${local.datasync_arn}:task/*", "${local.datasync_arn}:task/*/execution/*"]
      conditions = [{
        test     = "StringLike"
        variable = "aws:ResourceTag/${local.owner_tag}"
        values   = local.swept_owners
      }]
    },
    {
      sid = "SweepListAccessPoints"
      # DescribeAccessPoints: resource types access-point and file-system
      # (list_amazonelasticfilesystem.html); the sweeper lists the home file systems' points.
      actions   = ["elasticfilesystem:DescribeAccessPoints"]
      resources = ["${local.efs_arn}:file-system/*", "${local.efs_arn}:access-point/*"]
    },
    {
      sid = "SweepAccessPoints"
      # DeleteAccessPoint: resource type access-point*, which supports aws:ResourceTag
      # (list_amazonelasticfilesystem.html).
      actions   = ["elasticfilesystem:DeleteAccessPoint"]
      resources = ["${local.efs_arn}:access-point/*"]
      conditions = [{
        test     = "StringLike"
        variable = "aws:ResourceTag/${local.owner_tag}"
        values   = local.swept_owners
      }]
    },
  ]

  kms = var.kms_key_arn == null ? [] : [{
    sid       = "EncryptedTablesAndQueue"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }]

  statements = {
    event-processor = concat([
      local.describe_homes,
      local.logs,
      {
        sid       = "RecordHomes"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = [aws_dynamodb_table.mapping.arn, aws_dynamodb_table.history.arn]
      },
      {
        sid       = "FailedEvents"
        actions   = ["sqs:SendMessage"]
        resources = [aws_sqs_queue.failures.arn]
      },
    ], local.kms)

    stream-processor = concat([
      local.describe_homes,
      local.logs,
      {
        sid       = "ReadMappingStream"
        actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
        resources = [aws_dynamodb_table.mapping.stream_arn, "${aws_dynamodb_table.mapping.arn}/stream/*"]
      },
      {
        sid       = "RecordRestores"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = [aws_dynamodb_table.mapping.arn, aws_dynamodb_table.history.arn]
      },
      {
        sid       = "StartRestores"
        actions   = ["states:StartExecution"]
        resources = [var.state_machine_arn]
      },
      {
        sid       = "ReadRestores"
        actions   = ["states:DescribeExecution"]
        resources = [local.execution_arns]
      },
      {
        sid       = "FailedRecords"
        actions   = ["sqs:SendMessage"]
        resources = [aws_sqs_queue.failures.arn]
      },
    ], local.kms)

    reconciler = concat([
      local.describe_homes,
      local.logs,
      {
        sid = "ListHomes"
        # SageMaker list calls support no resource-level permissions.
        actions   = ["sagemaker:ListDomains", "sagemaker:ListUserProfiles", "sagemaker:ListSpaces"]
        resources = ["*"]
      },
      {
        sid       = "ReconcileHomes"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Scan"]
        resources = [aws_dynamodb_table.mapping.arn, aws_dynamodb_table.history.arn]
      },
      {
        sid       = "FreeStaleSlots"
        actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        resources = [var.slots_table_arn]
      },
      {
        sid       = "StartRestores"
        actions   = ["states:StartExecution"]
        resources = [var.state_machine_arn]
      },
      {
        sid       = "ReadRestores"
        actions   = ["states:DescribeExecution"]
        resources = [local.execution_arns]
      },
      ], local.sweeper, var.run_reconciler_on_deploy ? [
      {
        sid       = "ReadDeployments"
        actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
        resources = [aws_dynamodb_table.deployments[0].stream_arn, "${aws_dynamodb_table.deployments[0].arn}/stream/*"]
      },
      {
        sid       = "FailedSeeds"
        actions   = ["sqs:SendMessage"]
        resources = [aws_sqs_queue.failures.arn]
      },
    ] : [], local.kms)
  }
}

data "aws_iam_policy_document" "function" {
  for_each = local.statements

  dynamic "statement" {
    for_each = each.value
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = lookup(statement.value, "conditions", [])
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions
  name     = each.key
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.function[each.key].json
}
