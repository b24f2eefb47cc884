variable "emulator_url" {
  type        = string
  description = "The local AWS emulator (scripts/emulator env prints it as AWS_ENDPOINT_URL)."
  default     = "http://127.0.0.1:4599"
}

variable "domain_name" {
  type        = string
  description = "The name of the demo SageMaker domain."
  default     = "demo"
}

variable "old_uid" {
  type        = number
  description = "alice's home directory uid before she was recreated. Null until then: no restore is declared."
  default     = null
}
