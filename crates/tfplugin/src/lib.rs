//! A Terraform plugin protocol 6 server: the go-plugin handshake with AutoMTLS, our own
//! wire-identical protocol definitions, a typed value layer, schemas, planning and diagnostics,
//! and the traits a provider, its resources and data sources implement.
//!
//! A provider binary's `main` initialises [`logging`] and calls [`serve`].

pub mod diagnostics;
pub mod handshake;
pub mod json;
pub mod logging;
pub mod msgpack;
pub mod plan;
pub mod proto;
pub mod provider;
pub mod schema;
pub mod serve;
pub mod server;
pub mod testing;
pub mod tls;
pub mod types;
pub mod validators;
pub mod value;

pub use handshake::Mode;
pub use provider::{ClientCapabilities, Context, DataSource, Provider, ProviderData, Resource};
pub use serve::{ServeError, ServeOptions, serve};
