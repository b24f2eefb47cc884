# The key-policy statements a customer managed key (kms_key_arn) needs for this module, as the
# output kms_key_policy_json: add them to the key's policy before the apply that uses the key.
# The workflow's role publishes to the topic and writes the slots table through its IAM policy
# (iam.tf), which a key policy honours when it delegates to IAM (the default key policy's
# statement for the account root); e-mail subscriptions need nothing more. Resource "*" in a key
# policy means this key.

data "aws_iam_policy_document" "kms_key_policy" {
  statement {
    # The two log groups (kms_key_id): CloudWatch Logs encrypts and decrypts with the key for
    # these log groups only. Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch
    # Logs using AWS Key Management Service", Step 2 (key policy):
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    sid       = "CloudWatchLogsForStudioRestoreWorkflow"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        for name in values(local.log_group_names) :
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"
      ]
    }
  }
}
