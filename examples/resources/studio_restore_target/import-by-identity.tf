# Terraform 1.12 and later: the home's row in the mapping table, by domain name.
# user_table may be left out: the provider's user_table.
import {
  to = studio_restore_target.bob
  identity = {
    domain_name = "data-science"
    kind        = "user"
    name        = "bob"
  }
}
