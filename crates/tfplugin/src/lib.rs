//! A Terraform plugin protocol 6 server.

pub mod proto;
