//! Harness for the user-story tests: the real `terraform` CLI drives the
//! provider we built against a private moto server on loopback.
//!
//! Module map:
//! - [`moto`]: [`MotoServer`], one emulated AWS per test, stopped on drop.
//! - [`terraform`]: [`Workspace`], a working directory whose terraform loads
//!   our provider through `dev_overrides` and talks to that server.
//! - [`ec2`]: what the emulated cloud holds, read through the EC2 API.
//! - [`process`]: running a command with a deadline; its [`Output`].
//! - [`scorecard`]: `make bench`'s figures beside their goals, and its exit status.
//! - [`provider_binary`]: where the provider binary is and the CLI config naming it.
//! - [`provider_mirror`]: a provider network mirror over HTTPS on loopback.
//! - [`http`]: a tiny HTTP client for moto's control endpoints.
//! - [`error`]: the [`HarnessError`] every call returns.
//! - [`dist`]: release packaging in the registry's layout (`make dist`).
//! - [`demo`]: the stages of `make demo` (baker, the provider mirror, SDK checks).
//! - [`live`]: the live story on real machines (`make demo-live`, the `live` test).
//!
//! Environment: `PYTHON` (interpreter with `moto[server]`, default `python3`),
//! `ROUNDROBIN_PROVIDER_DIR` (directory of `terraform-provider-roundrobin`,
//! default the cargo profile directory), `E2E_TF_LOG` (e.g. `trace`: Terraform
//! and provider logs go to a file whose path is printed; the workspace is kept).

pub mod bench;
pub mod demo;
pub mod dist;
pub mod ec2;
pub mod error;
pub mod http;
pub mod live;
pub mod moto;
pub mod process;
pub mod provider_binary;
pub mod provider_mirror;
pub mod realhost;
pub mod scorecard;
pub mod terraform;

pub use error::{HarnessError, Result};
pub use moto::{EmulatorOptions, MotoServer};
pub use process::Output;
pub use terraform::{Workspace, example_dir};
