//! What a provider is written against: schemas and their validation, validators, diagnostics,
//! the generic plan, and the `Provider`/`Resource`/`DataSource` traits.
//!
//! This layer uses [`values`](crate::values) and knows nothing of the [`wire`](crate::wire).

pub mod diagnostics;
pub mod plan;
pub mod provider;
pub mod schema;
pub mod validators;
