# The restore intents (studio_restore_target) the mapping table holds for the domain
# data-science, whoever wrote them; `-generate-config-out` writes them with their import blocks.
list "studio_restore_target" "data_science" {
  provider         = studio
  include_resource = true

  config {
    domain_name = "data-science"
  }
}
