//! The restore logic of studio-restore.
//!
//! This crate knows nothing about gRPC, Terraform or Lambda: the provider and the Lambda
//! functions are thin adapters over it. See ARCHITECTURE.md for the data model.

pub mod aws;
pub mod domain_filter;
pub mod error;
pub mod home;
pub mod homes;
pub mod lease;
pub mod native;
pub mod owner;
pub mod profile_restore;
pub mod records;
pub mod resolve;
pub mod restore;
pub mod retention;
pub mod retry;
pub mod slots;
pub mod source;
pub mod state_machine;
pub mod sweep;
pub mod wait;
pub mod workflow;

pub use error::Error;
pub use home::{HomeKey, HomeKind, Uid};
