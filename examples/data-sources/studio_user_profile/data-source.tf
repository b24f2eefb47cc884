data "studio_user_profile" "alice" {
  domain_name       = "data-science" # or domain_id = "d-0123456789ab"
  user_profile_name = "alice"
}

# alice's home directory is /<uid> on the domain's file system.
output "alice_home" {
  value = "${data.studio_user_profile.alice.home_efs_file_system_id}:/${data.studio_user_profile.alice.home_efs_file_system_uid}"
}
