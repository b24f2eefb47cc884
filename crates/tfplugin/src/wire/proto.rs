//! Generated gRPC code for our `.proto` files (see `proto/`).

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Terraform's plugin protocol 6.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's controller and stdio services.
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// The standard gRPC health service.
pub mod health {
    tonic::include_proto!("grpc.health.v1");
}

/// A probe of Terraform's plugin protocol 5 (`GetSchema` only), for benchmarks against
/// protocol-5 providers.
pub mod tfplugin5_probe {
    tonic::include_proto!("tfplugin5");
}
