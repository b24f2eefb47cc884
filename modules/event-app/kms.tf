# The key-policy statements a customer managed key (kms_key_arn) needs for this module, as the
# output kms_key_policy_json: add them to the key's policy before the apply that uses the key.
# They grant the AWS services that encrypt with the key on this module's behalf; the functions'
# roles use it through their IAM policies (iam.tf), which a key policy honours when it delegates
# to IAM (the default key policy's statement for the account root). Resource "*" in a key
# policy means this key.

locals {
  log_group_arns = [
    for key, name in local.function_names :
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${name}"
  ]
  # Rules on the default bus are rule/<name>, on another bus rule/<bus>/<name>: the CloudTrail
  # rule is on event_bus_name, the reconciler's schedule on the default bus.
  rule_arns = {
    profile_created = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.event_bus_name == "default" ? "" : "${var.event_bus_name}/"}${var.name_prefix}-profile-created"
    reconcile       = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name_prefix}-reconcile"
  }
}

data "aws_iam_policy_document" "kms_key_policy" {
  statement {
    # The log groups (kms_key_id): CloudWatch Logs encrypts and decrypts with the key for these
    # log groups only. Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs
    # using AWS Key Management Service", Step 2 (key policy):
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    sid       = "CloudWatchLogsForStudioRestoreFunctions"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = local.log_group_arns
    }
  }

  statement {
    # The failure queue is the dead-letter queue of the two rules' targets: EventBridge sends to
    # an encrypted queue only when the key lets it generate and decrypt data keys. Amazon SQS
    # Developer Guide, "Amazon SQS key management" (services that send to encrypted queues):
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
    # and Amazon EventBridge User Guide, "Using dead-letter queues to process undelivered events":
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
    sid       = "EventBridgeDeadLettersOfStudioRestoreRules"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = values(local.rule_arns)
    }
  }
}
