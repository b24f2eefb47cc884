# An optional CloudTrail trail, for accounts without one. EventBridge receives the "AWS API Call via
# CloudTrail" events the event rule matches only while a trail with logging on records them
# (Amazon EventBridge User Guide, "AWS service events delivered via AWS CloudTrail"); event
# history alone delivers nothing. This trail records write management events of this Region
# (CreateUserProfile and CreateSpace are writes) into a bucket of its own.

locals {
  trail_name = "${var.name_prefix}-trail"
  # Known before the trail exists: the bucket policy names it, and CloudTrail checks the policy
  # when the trail is created.
  trail_arn = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
}

resource "aws_s3_bucket" "trail" {
  count = var.create_trail ? 1 : 0
  # At most 37 characters (a generated suffix makes the name unique in the partition).
  bucket_prefix = "${substr(lower(var.name_prefix), 0, 30)}-trail-"

  # hashicorp/aws 3.x has only these inline blocks; 4.x deprecated them for
  # aws_s3_bucket_server_side_encryption_configuration and aws_s3_bucket_lifecycle_configuration,
  # which 3.39 lacks (tests/emulator/aws_provider_removed.tsv, `allowed`).
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.trail_log_expiration_days == null ? [] : [var.trail_log_expiration_days]
    content {
      id      = "expire-trail-logs"
      enabled = true

      expiration {
        days = lifecycle_rule.value
      }
    }
  }

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count                   = var.create_trail ? 1 : 0
  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# The bucket policy CloudTrail needs (CloudTrail User Guide, "Amazon S3 bucket policy for
# CloudTrail"): the ACL check and the writes of this trail only (aws:SourceArn), log files
# owned by the bucket owner; and no request without TLS.
data "aws_iam_policy_document" "trail_bucket" {
  count = var.create_trail ? 1 : 0

  statement {
    sid       = "AWSCloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.trail[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "AWSCloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail[0].arn}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.trail[0].arn, "${aws_s3_bucket.trail[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  count  = var.create_trail ? 1 : 0
  bucket = aws_s3_bucket.trail[0].id
  policy = data.aws_iam_policy_document.trail_bucket[0].json

  # S3 refuses two concurrent changes of one bucket's configuration.
  depends_on = [aws_s3_bucket_public_access_block.trail]
}

resource "aws_cloudtrail" "trail" {
  count                         = var.create_trail ? 1 : 0
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  enable_logging                = true
  is_multi_region_trail         = false
  include_global_service_events = false
  enable_log_file_validation    = true
  kms_key_id                    = var.trail_kms_key_arn

  event_selector {
    read_write_type           = "WriteOnly"
    include_management_events = true
  }

  tags = var.tags

  depends_on = [aws_s3_bucket_policy.trail]
}
