data "aws_iam_policy_document" "assume_states" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${var.name_prefix}-restore-workflow"
  assume_role_policy = data.aws_iam_policy_document.assume_states.json
  tags               = var.tags
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid     = "DescribeTargets"
    actions = ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile", "sagemaker:DescribeSpace"]
    resources = [
      "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:domain/*",
      "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:user-profile/*/*",
      "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:space/*/*",
    ]
  }

  statement {
    sid = "ListTargetApps"
    # ListApps supports no resource-level permissions.
    actions   = ["sagemaker:ListApps"]
    resources = ["*"]
  }

  statement {
    sid = "DataSyncRestores"
    actions = [
      "datasync:CreateLocationEfs",
      "datasync:CreateTask",
      "datasync:StartTaskExecution",
      "datasync:DescribeTaskExecution",
      "datasync:CancelTaskExecution",
      "datasync:DeleteTask",
      "datasync:DeleteLocation",
      "datasync:TagResource",
    ]
    resources = ["arn:${local.partition}:datasync:${local.region}:${local.account_id}:*"]
  }

  statement {
    sid = "DataSyncNetwork"
    # What CreateLocationEfs checks and creates on the caller's behalf; EC2 describe calls
    # support no resource-level permissions.
    actions = [
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeNetworkInterfaces",
      "ec2:CreateNetworkInterface",
      "ec2:CreateNetworkInterfacePermission",
      "ec2:DeleteNetworkInterface",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeHomeFileSystems"
    actions   = ["elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeMountTargets"]
    resources = ["arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:file-system/*"]
  }

  statement {
    sid     = "TargetAccessPoints"
    actions = ["elasticfilesystem:CreateAccessPoint", "elasticfilesystem:DeleteAccessPoint", "elasticfilesystem:TagResource"]
    resources = [
      "arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:file-system/*",
      "arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:access-point/*",
    ]
  }

  statement {
    sid       = "RecordOutcomes"
    actions   = ["dynamodb:UpdateItem"]
    resources = [var.mapping_table_arn, aws_dynamodb_table.slots.arn]
  }

  statement {
    sid       = "TargetLeases"
    actions   = ["dynamodb:GetItem", "dynamodb:DeleteItem"]
    resources = [var.mapping_table_arn]
  }

  statement {
    sid = "LeaseHolders"
    # Whether the execution holding a home's lease still runs.
    actions   = ["states:DescribeExecution"]
    resources = ["arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"]
  }

  statement {
    sid       = "NotifyFailures"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "EncryptedTopicAndTable"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid = "ExecutionLogs"
    # CloudWatch Logs delivery for Step Functions supports no resource-level permissions.
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "restore-workflow"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}
