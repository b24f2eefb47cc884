"""The real Terraform and hashicorp/aws 3.39.0 create and destroy Studio resources in the emulator.

This is what the project's modules and examples rely on: the provider's create waiters, its
tag reads after create (moto 5.2.5 alone crashes there) and its delete waiters (which need
ResourceNotFound, not moto's ValidationException).
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / ".tools" / "bin" / "terraform"
CLI_CONFIG = REPO / ".tools" / "terraformrc"

pytestmark = pytest.mark.skipif(not (TERRAFORM.exists() and CLI_CONFIG.exists()),
                                reason="Terraform and the provider mirror come from scripts/setup")

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "3.39.0" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_get_ec2_platforms      = true
  skip_region_validation      = true
  max_retries                 = 1
  endpoints {
    sagemaker = "URL"
    efs       = "URL"
    ec2       = "URL"
    iam       = "URL"
    sts       = "URL"
  }
}

resource "aws_sagemaker_domain" "studio" {
  domain_name = "tf-studio"
  auth_mode   = "IAM"
  vpc_id      = "vpc-0a1b2c3d"
  subnet_ids  = ["subnet-0a1b2c3d"]
  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/studio"
  }
  tags = { team = "ml" }
}

resource "aws_sagemaker_user_profile" "alice" {
  domain_id         = aws_sagemaker_domain.studio.id
  user_profile_name = "alice"
}

output "home_efs_file_system_id" {
  value = aws_sagemaker_domain.studio.home_efs_file_system_id
}
"""


def terraform(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(CLI_CONFIG), "TF_IN_AUTOMATION": "1",
           "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run([str(TERRAFORM), *args], cwd=workdir, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode in (0, 2), f"terraform {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def test_domain_and_user_profile_apply_plan_destroy(emulator, tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG.replace("URL", emulator.url))
    sm = emulator.client("sagemaker")

    terraform(tmp_path, "init", "-no-color")
    terraform(tmp_path, "apply", "-auto-approve", "-no-color")
    [domain] = sm.list_domains()["Domains"]
    assert domain["DomainName"] == "tf-studio"
    profile = sm.describe_user_profile(DomainId=domain["DomainId"], UserProfileName="alice")
    assert profile["HomeEfsFileSystemUid"] == "200000"
    assert sm.list_tags(ResourceArn=domain["DomainArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]
    outputs = json.loads(terraform(tmp_path, "output", "-json").stdout)
    fs_id = outputs["home_efs_file_system_id"]["value"]
    assert (emulator.efs_root / fs_id).is_dir()
    assert not (emulator.efs_root / fs_id / "200000").exists()  # no app yet: never mounted

    plan = terraform(tmp_path, "plan", "-detailed-exitcode", "-no-color")
    assert plan.returncode == 0, plan.stdout  # no drift: everything the provider reads matches

    terraform(tmp_path, "destroy", "-auto-approve", "-no-color")
    assert sm.list_domains()["Domains"] == []
    assert sm.list_user_profiles()["UserProfiles"] == []


LAMBDA_EFS_CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "3.39.0" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_get_ec2_platforms      = true
  skip_region_validation      = true
  max_retries                 = 1
  endpoints {
    efs    = "URL"
    ec2    = "URL"
    iam    = "URL"
    sts    = "URL"
    lambda = "URL"
  }
}

resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_security_group" "g" {
  vpc_id = aws_vpc.v.id
}

resource "aws_efs_file_system" "fs" {
  creation_token = "tf-lambda-efs"
}

resource "aws_efs_access_point" "copier" {
  file_system_id = aws_efs_file_system.fs.id
  posix_user {
    uid = 0
    gid = 0
  }
  root_directory {
    path = "/"
  }
}

resource "aws_iam_role" "copier" {
  name               = "tf-copier"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
}

resource "aws_lambda_function" "copier" {
  function_name = "tf-copier"
  role          = aws_iam_role.copier.arn
  runtime       = "provided.al2"
  handler       = "bootstrap"
  filename      = "function.zip"
  file_system_config {
    arn              = aws_efs_access_point.copier.arn
    local_mount_path = "/mnt/efs"
  }
  vpc_config {
    subnet_ids         = [aws_subnet.s.id]
    security_group_ids = [aws_security_group.g.id]
  }
}

output "file_system_id" {
  value = aws_efs_file_system.fs.id
}
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the emulator mounts EFS for a Lambda only as root")
def test_lambda_with_file_system_config_apply_invoke_plan_destroy(emulator, tmp_path):
    """What a module deploying the copier sends (hashicorp/aws 3.39.0 `file_system_config` and
    `vpc_config`) is accepted, read back without drift, and mounts (lambda_efs.py)."""
    from test_lambda_efs import bootstrap_zip

    (tmp_path / "main.tf").write_text(LAMBDA_EFS_CONFIG.replace("URL", emulator.url))
    (tmp_path / "function.zip").write_bytes(bootstrap_zip())
    terraform(tmp_path, "init", "-no-color")
    terraform(tmp_path, "apply", "-auto-approve", "-no-color")
    fs_id = json.loads(terraform(tmp_path, "output", "-json").stdout)["file_system_id"]["value"]

    lam = emulator.client("lambda")
    config = lam.get_function_configuration(FunctionName="tf-copier")
    assert config["FileSystemConfigs"][0]["LocalMountPath"] == "/mnt/efs"
    r = lam.invoke(FunctionName="tf-copier", Payload=json.dumps({"op": "write", "path": "/mnt/efs/x", "data": "tf"}))
    assert "FunctionError" not in r and json.loads(r["Payload"].read()) == {}
    assert (emulator.efs_root / fs_id / "x").read_text() == "tf"

    plan = terraform(tmp_path, "plan", "-detailed-exitcode", "-no-color")
    assert plan.returncode == 0, plan.stdout
    terraform(tmp_path, "destroy", "-auto-approve", "-no-color")
    assert lam.list_functions()["Functions"] == []
