//! EC2 helpers shared by the steps, their cleanups and `prune`: waits,
//! instances ([`instances`]) and images ([`images`]).

pub mod block_devices;
pub mod images;
pub mod instances;
pub mod subnets;

use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::Filter;
use roundrobin_aws::wait::{self, Backoff, WaitError};
use tokio_util::sync::CancellationToken;

use crate::config::WaitConfig;
use crate::error::StepError;

pub use images::{
    SnapshotRelease, baked_snapshots, delete_image, describe_image, snapshots_made, snapshots_of,
};
pub use instances::{instances_of_build, terminate, wait_instance};

/// The backoff of a wait with the configured polling and `timeout_secs`.
pub fn backoff(config: &WaitConfig, timeout_secs: u64) -> Backoff {
    Backoff {
        first: Duration::from_millis(config.poll_first_ms.max(1)),
        max: Duration::from_millis(config.poll_max_ms.max(config.poll_first_ms).max(1)),
        timeout: Duration::from_secs(timeout_secs),
    }
}

/// A wait's failure as a step error.
pub fn wait_error(e: WaitError<StepError>, what: String, hint: Option<String>) -> StepError {
    match e {
        WaitError::TimedOut(waited) => StepError::TimedOut { what, waited, hint },
        WaitError::Stopped => StepError::Interrupted,
        WaitError::Failed(e) => e,
    }
}

/// Like [`wait::until`], but `check` runs once even when `stop` is already
/// cancelled: a cleanup cut short by a second signal still makes its call.
pub async fn at_least_once<T, F, Fut>(
    backoff: Backoff,
    stop: &CancellationToken,
    mut check: F,
) -> Result<T, WaitError<StepError>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, StepError>>,
{
    if let Some(value) = check().await.map_err(WaitError::Failed)? {
        return Ok(value);
    }
    wait::until(backoff, stop, check).await
}

pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}
