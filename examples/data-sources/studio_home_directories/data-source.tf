# Whose files are orphaned right now? Homes whose profile or space is gone.
data "studio_home_directories" "orphaned" {
  domain_name = "data-science"
  attached    = false
}

output "orphaned" {
  value = {
    for h in data.studio_home_directories.orphaned.homes :
    h.home => "${h.file_system_id}:/${h.uid}"
  }
}

# Every tracked space, attached or not, with its automatic-restore setting.
data "studio_home_directories" "spaces" {
  kind = "space"
}

output "space_replication" {
  value = { for h in data.studio_home_directories.spaces.homes : h.home => h.replication }
}
