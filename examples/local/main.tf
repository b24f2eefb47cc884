# The README's demo: a SageMaker Studio domain and user `alice` in the local emulator, and a
# declarative restore of alice's old home directory after she was deleted and recreated.
# scripts/demo drives it; see README.md beside this file.

terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 3.39.0; below 7.0, see tests/emulator/aws_provider_removed.tsv.
      version = ">= 3.39, < 7.0"
    }
    studio = {
      source = "studio-restore/studio"
    }
  }
}

# The emulator speaks the AWS APIs on one local port; nothing here reaches AWS. No
# skip_get_ec2_platforms (hashicorp/aws 5.0 removed it): with `ec2` on the emulator the platform
# lookup is one local call (under a second of plan time), not the DNS retries it avoids elsewhere.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1
  endpoints {
    sagemaker = var.emulator_url
    efs       = var.emulator_url
    ec2       = var.emulator_url
    iam       = var.emulator_url
    sts       = var.emulator_url
  }
}

provider "studio" {
  region = "us-east-1"
  endpoints {
    sagemaker = var.emulator_url
    datasync  = var.emulator_url
    dynamodb  = var.emulator_url
    sfn       = var.emulator_url
    efs       = var.emulator_url
  }
}

resource "aws_sagemaker_domain" "studio" {
  domain_name = var.domain_name
  auth_mode   = "IAM"
  vpc_id      = "vpc-0a1b2c3d4e5f60718"
  subnet_ids  = ["subnet-0a1b2c3d4e5f60718"]
  default_user_settings {
    execution_role  = "arn:aws:iam::123456789012:role/studio-execution"
    security_groups = ["sg-0a1b2c3d4e5f60718"]
  }
  # With hashicorp/aws >= 4, also set retention_policy { home_efs_file_system = "Retain" }: a
  # deleted domain must leave its home file system behind for anything to be restored.
}

resource "aws_sagemaker_user_profile" "alice" {
  domain_id         = aws_sagemaker_domain.studio.id
  user_profile_name = "alice"
}

# Declared once alice has been recreated: her old uid is known then (scripts/demo passes it).
resource "studio_profile_restore" "alice" {
  count = var.old_uid == null ? 0 : 1

  source = {
    domain_id         = aws_sagemaker_domain.studio.id
    user_profile_name = "alice"
    uid               = var.old_uid
  }
  target = {
    domain_id         = aws_sagemaker_domain.studio.id
    user_profile_name = aws_sagemaker_user_profile.alice.user_profile_name
  }

  timeouts {
    create = "10m"
  }
}
