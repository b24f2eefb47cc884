//! A Terraform plugin protocol 6 server, in three layers:
//!
//! - [`values`]: Terraform types, values and attribute paths, and the msgpack and JSON
//!   encodings.
//! - [`framework`]: schemas, validators, diagnostics, planning, and the traits a provider, its
//!   resources and data sources implement. Uses `values`.
//! - [`wire`]: our wire-identical protocol definitions, the go-plugin handshake with AutoMTLS,
//!   the gRPC service, serving and logging. Uses `values` and dispatches to `framework`.
//!
//! Dependencies point downwards only: `wire` → `framework` → `values`.
//!
//! A provider binary's `main` initialises [`wire::logging`] and calls [`wire::serve::serve`].
//!
//! The cargo feature `testing` (off by default) adds the `testing` module: a client that
//! launches a provider binary as Terraform does. Tests, examples and benchmarks enable it
//! (`[dev-dependencies]`, `required-features`); a release binary never contains it.

pub mod framework;
pub mod values;
pub mod wire;

#[cfg(feature = "testing")]
pub mod testing;
