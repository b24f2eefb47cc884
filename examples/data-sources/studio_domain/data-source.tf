# By name: fails when no domain, or more than one, has this name.
data "studio_domain" "studio" {
  name = "data-science"
}

# By id.
data "studio_domain" "by_id" {
  domain_id = "d-0123456789ab"
}

output "home_file_system" {
  value = data.studio_domain.studio.home_efs_file_system_id
}
