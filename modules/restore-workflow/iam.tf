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
  name               = local.role_name
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

  # DataSync: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsdatasync.html
  # Every DataSync object an execution creates carries local.owner_tag = the execution's ARN.

  statement {
    sid = "DataSyncCreateLocations"
    # CreateLocationEfs supports no resource type (Resource must be "*"); it supports
    # aws:RequestTag and aws:TagKeys (list_awsdatasync.html, Actions table).
    actions   = ["datasync:CreateLocationEfs"]
    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/${local.owner_tag}"
      values   = [local.own_executions]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = local.execution_tag_keys
    }
  }

  statement {
    sid = "DataSyncCreateTasks"
    # CreateTask: resource type location* (its source and destination; the new task is not a
    # resource of the call), aws:RequestTag and aws:TagKeys for the task's tags, and the
    # location's aws:ResourceTag (list_awsdatasync.html, Actions and Resource types tables):
    # only from locations this workflow's executions created.
    actions   = ["datasync:CreateTask"]
    resources = [local.datasync_arns.location]

    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/${local.owner_tag}"
      values   = [local.own_executions]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = local.execution_tag_keys
    }

    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/${local.owner_tag}"
      values   = [local.own_executions]
    }
  }

  statement {
    sid = "DataSyncStartTasks"
    # StartTaskExecution: resource type task*, aws:ResourceTag of the task, and aws:RequestTag and
    # aws:TagKeys for the task execution's tags (list_awsdatasync.html, Actions table).
    actions   = ["datasync:StartTaskExecution"]
    resources = [local.datasync_arns.task]

    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/${local.owner_tag}"
      values   = [local.own_executions]
    }

    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/${local.owner_tag}"
      values   = [local.own_executions]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = local.execution_tag_keys
    }
  }

  statement {
    sid = "DataSyncTagOnCreate"
    # Tags passed to CreateLocationEfs, CreateTask and StartTaskExecution are authorized as
    # datasync:TagResource too (list_awsdatasync.html, API operations table). TagResource:
    # resource types location, task, taskexecution; aws:RequestTag and aws:TagKeys. DataSync has
    # no create-action condition key (EFS's elasticfilesystem:CreateAction), so this also lets the
    # role put its own owner value on an existing object; DataSyncNoTakeOver denies that for
    # objects another owner holds.
    actions   = ["datasync:TagResource"]
    resources = [local.datasync_arns.location, local.datasync_arns.task, local.datasync_arns.execution]

    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/${local.owner_tag}"
      values   = [local.own_executions]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = local.execution_tag_keys
    }
  }

  statement {
    sid    = "DataSyncNoTakeOver"
    effect = "Deny"
    # Never re-tag an object that already has an owner other than this workflow's executions
    # (location, task and taskexecution support aws:ResourceTag: list_awsdatasync.html, Resource
    # types table). A new object has no tags yet, so tagging on create is not affected.
    actions   = ["datasync:TagResource"]
    resources = [local.datasync_arns.location, local.datasync_arns.task, local.datasync_arns.execution]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.owner_tag}"
      values   = ["false"]
    }

    condition {
      test     = "StringNotLike"
      variable = "aws:ResourceTag/${local.owner_tag}"
      values   = [local.own_executions]
    }
  }

  statement {
    sid = "DataSyncCleanUp"
    # CancelTaskExecution (taskexecution*), DeleteTask (task*), DeleteLocation (location*): each
    # resource type supports aws:ResourceTag (list_awsdatasync.html, Actions and Resource types
    # tables). Only objects of this workflow's executions.
    actions   = ["datasync:CancelTaskExecution", "datasync:DeleteTask", "datasync:DeleteLocation"]
    resources = [local.datasync_arns.location, local.datasync_arns.task, local.datasync_arns.execution]

    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/${local.owner_tag}"
      values   = [local.own_executions]
    }
  }

  statement {
    sid = "DataSyncPollTransfers"
    # DescribeTaskExecution: resource type taskexecution* (list_awsdatasync.html). A read: scoped
    # to task executions of this account and region, no tag condition.
    actions   = ["datasync:DescribeTaskExecution"]
    resources = [local.datasync_arns.execution]
  }

  statement {
    sid = "DataSyncNetwork"
    # DataSync creates the EFS locations' network interfaces in the module's subnet with its
    # security group. EC2 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
    # CreateNetworkInterface has resource types network-interface*, subnet* and security-group,
    # so it is limited to the one subnet and security group.
    actions = ["ec2:CreateNetworkInterface"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
      local.subnet_arn,
      local.security_group_arn,
    ]
  }

  statement {
    sid = "DataSyncNetworkInterfaces"
    # CreateNetworkInterfacePermission and DeleteNetworkInterface: resource type
    # network-interface*, which supports ec2:Subnet (the subnet's ARN; list_amazonec2.html).
    actions   = ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = [local.subnet_arn]
    }
  }

  statement {
    sid = "DataSyncNetworkDescribe"
    # EC2 Describe* calls support no resource-level permissions (list_amazonec2.html: no
    # resource type), so "*".
    actions   = ["ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"]
    resources = ["*"]
  }

  # EFS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticfilesystem.html

  statement {
    sid = "DescribeHomeFileSystems"
    # What CreateLocationEfs checks; DescribeFileSystems and DescribeMountTargets take file-system.
    actions   = ["elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeMountTargets"]
    resources = [local.efs_arns.file_system]
  }

  statement {
    sid = "CreateTargetAccessPoints"
    # CreateAccessPoint: resource type file-system*, aws:RequestTag and aws:TagKeys
    # (list_amazonelasticfilesystem.html). Target file systems are any domain's home EFS.
    actions   = ["elasticfilesystem:CreateAccessPoint"]
    resources = [local.efs_arns.file_system]

    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/${local.owner_tag}"
      values   = [local.own_executions]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = local.execution_tag_keys
    }
  }

  statement {
    sid = "TagAccessPointsOnCreate"
    # CreateAccessPoint with Tags also needs elasticfilesystem:TagResource (its dependent
    # action), which supports elasticfilesystem:CreateAction: only while creating an access point
    # (list_amazonelasticfilesystem.html; EFS user guide, "Tagging resources during creation").
    actions   = ["elasticfilesystem:TagResource"]
    resources = [local.efs_arns.access_point]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:CreateAction"
      values   = ["CreateAccessPoint"]
    }

    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/${local.owner_tag}"
      values   = [local.own_executions]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = local.execution_tag_keys
    }
  }

  statement {
    sid = "DeleteTargetAccessPoints"
    # DeleteAccessPoint: resource type access-point*, which supports aws:ResourceTag
    # (list_amazonelasticfilesystem.html).
    actions   = ["elasticfilesystem:DeleteAccessPoint"]
    resources = [local.efs_arns.access_point]

    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/${local.owner_tag}"
      values   = [local.own_executions]
    }
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
    resources = [local.own_executions]
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

  dynamic "statement" {
    # The native engine: the copier function of this module, and no other (no alias or version:
    # the workflow invokes $LATEST by its unqualified ARN).
    for_each = local.copier_enabled ? [aws_lambda_function.copier[0].arn] : []
    content {
      sid       = "InvokeTheCopier"
      actions   = ["lambda:InvokeFunction"]
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
