//! The restore logic of studio-restore.
//!
//! This crate knows nothing about gRPC, Terraform or Lambda: the provider and the
//! Lambda functions are thin adapters over it.
