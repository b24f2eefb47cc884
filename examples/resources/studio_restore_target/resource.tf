# When bob's profile is created, his new home directory gets the files of alice's (a deleted
# profile: its directory is known from the mapping table).
resource "studio_restore_target" "bob" {
  target = {
    domain_name       = "data-science"
    user_profile_name = "bob"
  }
  source = {
    domain_name       = "data-science"
    user_profile_name = "alice"
  }
}

# Into a space of a new domain, from a directory given explicitly.
resource "studio_restore_target" "team" {
  target = {
    domain_name = "data-science-2"
    space_name  = "team"
  }
  source = {
    domain_name       = "data-science"
    user_profile_name = "carol"
    file_system_id    = "fs-0123456789abcdef0"
    uid               = "200005"
  }
}
