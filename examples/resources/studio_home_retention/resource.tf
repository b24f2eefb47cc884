variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "execution_role_arn" {
  type = string
}

resource "aws_sagemaker_domain" "this" {
  domain_name = "data-science"
  auth_mode   = "IAM"
  vpc_id      = var.vpc_id
  subnet_ids  = var.subnet_ids

  default_user_settings {
    execution_role = var.execution_role_arn
  }
}

# Between the domain and its profiles: Terraform destroys it after them and before the domain,
# and it deletes the domain keeping the home file system (hashicorp/aws 3.x would delete it).
resource "studio_home_retention" "this" {
  domain_id = aws_sagemaker_domain.this.id
}

resource "aws_sagemaker_user_profile" "alice" {
  domain_id         = studio_home_retention.this.domain_id
  user_profile_name = "alice"
}
