# The restores that could be declared in the domain data-science: every recreated user profile
# or space whose previous home directory is its own. `terraform query` shows them;
# `terraform query -generate-config-out=restores.tf` writes one studio_profile_restore block per
# restore to review, each with the import block Terraform writes next to it (a restore that has
# not run is imported as such and replaced), and `terraform apply` then runs them.
list "studio_profile_restore" "data_science" {
  provider         = studio
  include_resource = true

  config {
    domain_name = "data-science"
  }
}

# Only the user profiles whose name starts with "al".
list "studio_profile_restore" "al" {
  provider = studio

  config {
    domain_name = "data-science"
    kind        = "user"
    name_prefix = "al"
  }
}
