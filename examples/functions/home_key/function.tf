# The mapping-table key of alice's home, as the studio_replication and
# studio_restore_target import ids write it: "data-science/user/alice".
output "alice_home_key" {
  value = provider::studio::home_key("data-science", "user", "alice")
}
