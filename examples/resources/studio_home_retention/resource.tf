# Between the domain and its profiles: Terraform destroys it after them and before the domain,
# and it deletes the domain keeping the home file system (hashicorp/aws 3.x would delete it).
resource "studio_home_retention" "this" {
  domain_id = aws_sagemaker_domain.this.id
}

resource "aws_sagemaker_user_profile" "alice" {
  domain_id         = studio_home_retention.this.domain_id
  user_profile_name = "alice"
}
