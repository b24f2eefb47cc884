terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 3.39.0. Below 7.0: tests/emulator/aws_provider_removed.tsv reviews what 4.x to
      # 6.x removed or deprecated for everything used here; 7.x is not reviewed.
      version = ">= 3.39, < 7.0"
    }
    studio = {
      source = "studio-restore/studio"
    }
  }
}

provider "aws" {
  region = var.region
}

# Used by modules/studio-domain (studio_home_retention: the domain's home directories survive a
# destroy or a replacement). The restore stack itself needs no studio provider.
provider "studio" {
  region = var.region
}
