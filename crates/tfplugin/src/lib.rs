//! A Terraform plugin protocol 6 server.

pub mod diagnostics;
pub mod handshake;
pub mod json;
pub mod logging;
pub mod msgpack;
pub mod proto;
pub mod tls;
pub mod types;
pub mod value;
pub mod plan;
pub mod schema;
pub mod validators;
