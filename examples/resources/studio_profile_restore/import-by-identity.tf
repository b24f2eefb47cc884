# Terraform 1.12 and later: the declaration the history table recorded for the
# target, by domain id. history_table may be left out: the provider's history_table.
import {
  to = studio_profile_restore.alice
  identity = {
    domain_id = "d-new0domain1"
    kind      = "user"
    name      = "alice"
  }
}
