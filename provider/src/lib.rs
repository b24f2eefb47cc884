//! The `studio` Terraform provider: declarative SageMaker Studio home-directory restores.
//!
//! The protocol lives in `tfplugin`, the AWS logic in `studio-core`; this crate is the provider
//! configuration plus one file per resource and data source, registered in [`registry`].

pub mod clients;
pub mod config;
pub mod data_source_domain;
pub mod data_source_home_directories;
pub mod data_source_restore_history;
pub mod data_source_space;
pub mod data_source_user_profile;
pub mod lookup;
pub mod provider;
pub mod registry;
pub mod resource_profile_restore;
pub mod resource_replication;
pub mod resource_restore_target;
pub mod test_hooks;

pub use clients::{StudioClients, clients};
pub use provider::{ADDRESS, StudioProvider};
