//! Terraform values without a schema: their types, the values themselves, paths into them,
//! and the two encodings Terraform sends them in (msgpack and JSON).
//!
//! This layer knows nothing of the [`framework`](crate::framework) or the
//! [`wire`](crate::wire).

pub mod json;
pub mod msgpack;
pub mod path;
pub mod types;
pub mod value;
