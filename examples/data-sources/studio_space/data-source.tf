data "studio_space" "team" {
  domain_name = "data-science" # or domain_id = "d-0123456789ab"
  space_name  = "team"
}

output "team_home_uid" {
  value = data.studio_space.team.home_efs_file_system_uid
}
