terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 3.39"
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
