//! Helpers for the end-to-end tests: the emulator, Terraform, fresh working directories.
