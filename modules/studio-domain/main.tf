# A demo SageMaker Studio domain with users, to try studio-restore end to end.
#
# Home EFS retention: DeleteDomain's RetentionPolicy decides whether the domain's home EFS file
# system (every user's home directory) survives, and hashicorp/aws 3.x always sends Delete, when
# the domain is destroyed and when it is replaced (a new KMS key, a new name, a new VPC).
# studio_home_retention sits between the domain and its profiles: Terraform destroys it after the
# profiles and before the domain, and it deletes the domain with Retain first, so the file system
# and its /<uid> directories stay (see the module README). Spaces: hashicorp/aws 3.39 has no
# `aws_sagemaker_space`; create spaces with a newer provider, the console or the API. The event
# path handles them.

locals {
  execution_role_arn = var.execution_role_arn != null ? var.execution_role_arn : aws_iam_role.execution[0].arn
}

data "aws_iam_policy_document" "assume_sagemaker" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

data "aws_partition" "current" {}

# IAM is global: a generated suffix keeps the role apart from a domain of the same name in
# another Region (and the name within IAM's 64 characters; name_prefix allows 38).
resource "aws_iam_role" "execution" {
  count              = var.execution_role_arn == null ? 1 : 0
  name_prefix        = "${substr(var.domain_name, 0, 24)}-studio-exec-"
  assume_role_policy = data.aws_iam_policy_document.assume_sagemaker.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  count      = var.execution_role_arn == null ? 1 : 0
  role       = aws_iam_role.execution[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSageMakerFullAccess"
}

resource "aws_sagemaker_domain" "this" {
  domain_name = var.domain_name
  auth_mode   = "IAM"
  vpc_id      = var.vpc_id
  subnet_ids  = var.subnet_ids
  kms_key_id  = var.kms_key_id

  default_user_settings {
    execution_role  = local.execution_role_arn
    security_groups = var.security_group_ids
  }

  tags = var.tags
}

# Keeps the home file system when the domain is destroyed or replaced. The profiles take their
# domain_id from it, so Terraform destroys it between them and the domain.
resource "studio_home_retention" "this" {
  domain_id = aws_sagemaker_domain.this.id
}

resource "aws_sagemaker_user_profile" "this" {
  for_each          = var.user_profiles
  domain_id         = studio_home_retention.this.domain_id
  user_profile_name = each.value
  tags              = var.tags
}
