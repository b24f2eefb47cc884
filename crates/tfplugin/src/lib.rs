//! A Terraform plugin protocol 6 server, in three layers:
//!
//! - [`values`]: Terraform types and values, and their msgpack and JSON encodings.
//! - [`framework`]: schemas, validators, diagnostics, planning, and the traits a provider, its
//!   resources and data sources implement. Uses `values`.
//! - [`wire`]: our wire-identical protocol definitions, the go-plugin handshake with AutoMTLS,
//!   the gRPC service, serving and logging. Uses `values` and dispatches to `framework`.
//!
//! Dependencies point downwards only: `wire` → `framework` → `values`.
//!
//! A provider binary's `main` initialises [`wire::logging`] and calls [`wire::serve::serve`].
//!
//! The `testing` feature (off by default) adds the `testing` module, a client that launches a provider
//! binary as Terraform does; enable it only from `[dev-dependencies]`.

pub mod framework;
pub mod values;
pub mod wire;

#[cfg(feature = "testing")]
pub mod testing;
