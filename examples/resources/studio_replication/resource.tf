# alice's home is never restored automatically, however often her profile is recreated.
resource "studio_replication" "alice" {
  domain_name       = "data-science"
  user_profile_name = "alice"
  enabled           = false
}

# Explicitly on for a shared space (on is the default).
resource "studio_replication" "team" {
  domain_name = "data-science"
  space_name  = "team"
  enabled     = true
}
