# { domain_name = "data-science", kind = "space", name = "team-a" }
output "team_home" {
  value = provider::studio::parse_home_key("data-science/space/team-a")
}
