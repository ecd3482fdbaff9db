//! AWS plumbing shared by `terraform-provider-roundrobin` and `baker`:
//! - [`settings`]: one SDK configuration from region / profile / endpoint,
//!   never waiting on instance metadata for the region;
//! - [`errors`]: AWS errors as a person reads them (code and message);
//! - [`partition`]: the ARN partition of a region;
//! - [`tags`]: tags as maps;
//! - [`lag`]: eventual consistency: retrying "not found" for what was just made;
//! - [`wait`]: bounded polling with capped backoff that a stop signal ends.

pub mod errors;
pub mod lag;
pub mod partition;
pub mod settings;
pub mod tags;
pub mod wait;

pub use errors::AwsErrorDetail;
pub use settings::{ConnectError, Settings};
