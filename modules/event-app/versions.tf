terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 3.39.0. Below 7.0: tests/emulator/aws_provider_removed.tsv reviews what 4.x to
      # 6.x removed or deprecated for everything used here; 7.x is not reviewed.
      version = ">= 3.39, < 7.0"
    }
  }
}
