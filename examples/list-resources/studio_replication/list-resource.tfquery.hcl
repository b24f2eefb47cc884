# The automatic-restore setting of every space the mapping table records in the domain
# data-science.
list "studio_replication" "spaces" {
  provider         = studio
  include_resource = true

  config {
    domain_name = "data-science"
    kind        = "space"
  }
}
