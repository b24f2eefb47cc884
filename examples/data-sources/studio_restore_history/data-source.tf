# The last ten things that happened to alice's home, newest first.
data "studio_restore_history" "alice" {
  domain_name       = "data-science"
  user_profile_name = "alice"
  limit             = 10
}

output "alice_restores" {
  value = [
    for e in data.studio_restore_history.alice.entries :
    "${e.time} ${e.event} ${coalesce(e.status, "-")}"
    if can(regex("^restore_", e.event))
  ]
}
