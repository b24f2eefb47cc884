# "/200005": the home directory of uid 200005 on its domain's EFS file system.
output "home_directory" {
  value = provider::studio::efs_home_path(200005)
}
