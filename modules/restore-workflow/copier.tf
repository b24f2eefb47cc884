# The native engine's copier (lambdas/copier, studio_core::native): a Lambda function that mounts
# one domain's EFS file system through an access point of its own and copies a home directory
# into another on it. Deployed only when `copier` is set. Its network interfaces use the DataSync
# security group, so the efs-access module's NFS rule for that group serves both.

locals {
  copier_enabled = var.copier != null
  copier_name    = "${var.name_prefix}-copier"
  # What studio_core::native's constants name: the copier reads these variables.
  copier_mount_path = "/mnt/efs"
}

# The copier's view of the file system: its root, as root, so that it can read every home and
# give the copied entries to the target's uid (EFS "Enforcing a user identity using an access
# point"). Only the copier's role may mount through it (the policy below).
resource "aws_efs_access_point" "copier" {
  count          = local.copier_enabled ? 1 : 0
  file_system_id = var.copier.file_system_id

  posix_user {
    uid = 0
    gid = 0
  }

  root_directory {
    path = "/"
  }

  tags = merge(var.tags, { Name = local.copier_name })
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "copier" {
  count              = local.copier_enabled ? 1 : 0
  name               = "${var.name_prefix}-copier-${local.region}"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
  tags               = var.tags
}

data "aws_iam_policy_document" "copier" {
  count = local.copier_enabled ? 1 : 0

  statement {
    sid = "MountThroughItsAccessPointOnly"
    # Read, write and act as root on this file system, through the copier's access point only
    # (EFS "Using IAM to control file system data access").
    actions = [
      "elasticfilesystem:ClientMount",
      "elasticfilesystem:ClientWrite",
      "elasticfilesystem:ClientRootAccess",
    ]
    resources = ["arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:file-system/${var.copier.file_system_id}"]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.copier[0].arn]
    }
  }

  statement {
    sid = "NetworkInterfaces"
    # What a function in a VPC needs for its network interfaces (Lambda Developer Guide,
    # "Giving Lambda functions access to resources in an Amazon VPC"); the Describe and the
    # address calls support no resource-level permissions.
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.copier[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "copier" {
  count  = local.copier_enabled ? 1 : 0
  name   = "copier"
  role   = aws_iam_role.copier[0].id
  policy = data.aws_iam_policy_document.copier[0].json
}

resource "aws_cloudwatch_log_group" "copier" {
  count             = local.copier_enabled ? 1 : 0
  name              = "/aws/lambda/${local.copier_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "copier" {
  count         = local.copier_enabled ? 1 : 0
  function_name = local.copier_name
  description   = "studio-restore native engine: copies a SageMaker Studio home directory into another on ${var.copier.file_system_id}"
  role          = aws_iam_role.copier[0].arn
  filename      = var.copier.zip
  # The zip's own hash: a rebuilt copier is deployed, an unchanged one is not.
  source_code_hash = filebase64sha256(var.copier.zip)
  handler          = "bootstrap"
  # x86_64, Lambda's default: hashicorp/aws 3.39 (the tested floor) has no `architectures`.
  runtime     = var.copier_runtime
  memory_size = var.copier_memory_mb
  timeout     = var.copier_timeout_seconds

  environment {
    variables = {
      STUDIO_COPIER_FILE_SYSTEM_ID = var.copier.file_system_id
      STUDIO_COPIER_MOUNT_PATH     = local.copier_mount_path
      STUDIO_COPIER_RESERVE_MS     = tostring(floor(var.copier_reserve_seconds * 1000))
    }
  }

  file_system_config {
    arn              = aws_efs_access_point.copier[0].arn
    local_mount_path = local.copier_mount_path
  }

  vpc_config {
    subnet_ids         = [var.subnet_id]
    security_group_ids = [aws_security_group.datasync.id]
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.copier, aws_cloudwatch_log_group.copier]
}
