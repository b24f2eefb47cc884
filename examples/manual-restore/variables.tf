variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "state_machine_arn" {
  description = "The deployed restore workflow (output `state_machine_arn` of the studio-restore or restore-workflow module)."
  type        = string
}

variable "source_home" {
  description = "The old home directory: its home key (`<domain name>/<user|space>/<name>`), domain id, file system and uid (the mapping table's `previous_*` or the history table tell them)."
  type = object({
    home           = string
    domain_id      = string
    file_system_id = string
    uid            = string
  })
}

variable "target_home" {
  description = "The profile or space that receives the files, as it is now: domain id, kind (`user` or `space`), name, file system and uid."
  type = object({
    domain_id      = string
    domain_name    = string
    kind           = string
    name           = string
    file_system_id = string
    uid            = string
  })

  validation {
    condition     = contains(["user", "space"], var.target_home.kind)
    error_message = "The target kind must be user or space."
  }
}

variable "excludes" {
  description = "DataSync SIMPLE_PATTERN exclude filter; empty excludes nothing."
  type        = string
  default     = "*/.ipynb_checkpoints"
}
