//! The transport: how Terraform starts a provider and talks to it. Our `.proto` definitions,
//! go-plugin's handshake and AutoMTLS, the `tfplugin6.Provider` gRPC service, running the
//! binary, and logging in the format Terraform reads.
//!
//! The service decodes and encodes [`values`](crate::values) and dispatches to the
//! [`framework`](crate::framework) traits; nothing below this layer knows about gRPC.

pub mod handshake;
pub mod logging;
pub mod proto;
pub mod serve;
pub mod server;
pub mod tls;
