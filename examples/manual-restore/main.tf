# A one-off restore through the deployed restore workflow, for what the automatic path does not
# cover (homes deleted before deployment, copies between different profiles or domains).
#
# Declaratively, the studio provider does it with its state_machine engine:
#
#   resource "studio_profile_restore" "alice" {
#     source            = { domain_name = "old-studio", user_profile_name = "alice" }
#     target            = { domain_id = "d-...", user_profile_name = "alice" }
#     engine            = "state_machine"
#     state_machine_arn = var.state_machine_arn
#   }
#
# This example only builds the workflow input (the contract of
# studio_core::workflow::RestoreRequest) and the command that starts it.

locals {
  input = {
    source = var.source_home
    target = {
      domain_id      = var.target_home.domain_id
      kind           = var.target_home.kind
      name           = var.target_home.name
      file_system_id = var.target_home.file_system_id
      uid            = var.target_home.uid
      home           = "${var.target_home.domain_name}/${var.target_home.kind}/${var.target_home.name}"
    }
    options = {
      excludes                      = var.excludes
      wait_for_app                  = true
      target_ready_checks           = 120
      target_ready_interval_seconds = 30
      transfer_polls                = 2880
      transfer_poll_seconds         = 30
      clear_restore_from            = false
      requested_by                  = "manual"
    }
  }

  # The same copy gets the same name, so running the command twice starts one restore.
  execution_name = "manual-${var.target_home.uid}-${substr(sha256(jsonencode([var.source_home, local.input.target])), 0, 40)}"
}
