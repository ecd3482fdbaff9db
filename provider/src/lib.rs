//! `terraform-provider-roundrobin`: a Terraform provider (plugin protocol 6)
//! for immutable EC2 deployments behind a round-robin load balancer.
//!
//! Module map:
//! - [`plugin`]: the go-plugin host side (handshake, AutoMTLS, lifecycle).
//! - [`server`]: the tfplugin6 gRPC service, a thin layer over the framework.
//! - [`framework`]: schemas as data, diagnostics, plan logic, `Resource`.
//! - [`aws`]: SDK configuration, AWS errors as diagnostics, tag helpers.
//! - [`resources`]: one module per managed resource.
//! - [`data_sources`]: one module per data source.

pub mod aws;
pub mod data_sources;
pub mod framework;
pub mod plugin;
pub mod resources;
pub mod server;

/// The provider's version, as `terraform version` shows it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
