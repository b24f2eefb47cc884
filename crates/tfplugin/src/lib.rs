//! A Terraform plugin protocol 6 server.

pub mod diagnostics;
pub mod json;
pub mod msgpack;
pub mod plan;
pub mod proto;
pub mod schema;
pub mod types;
pub mod validators;
pub mod value;
