//! What a provider is written against: schemas and their validation, validators, diagnostics,
//! the generic plan, resource identity, provider functions, list resources, actions, and the
//! `Provider`/`Resource`/`DataSource`/`Function`/`ListResource`/`Action` traits.
//!
//! This layer uses [`values`](crate::values) and knows nothing of the [`wire`](crate::wire).

pub mod action;
pub mod diagnostics;
pub mod function;
pub mod identity;
pub mod list;
pub mod plan;
pub mod provider;
pub mod schema;
pub mod validators;
