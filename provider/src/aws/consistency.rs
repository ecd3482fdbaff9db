//! AWS is eventually consistent: a resource just created can be "not found"
//! by Describe/Get for a few seconds. Reads right after a write treat that as
//! "not yet", for a bounded time, instead of "gone".

use std::future::Future;
use std::time::Duration;

use super::Aws;
use super::wait::{Backoff, WaitError, until};
use crate::framework::Diagnostics;

/// How long a just-created resource may stay invisible before we believe it
/// is really gone (AWS documents "a few seconds"; IAM up to about ten).
pub const LAG: Duration = Duration::from_secs(60);

/// How a wait for AWS to catch up polls: a quick first retry, then doubling
/// up to 3 s, for at most `timeout`.
pub fn lag_backoff(timeout: Duration) -> Backoff {
    Backoff {
        first: Duration::from_millis(250),
        max: Duration::from_secs(3),
        timeout,
    }
}

/// Reads a resource that was just written; `Ok(None)` ("not found") is
/// retried until it shows up or [`LAG`] has passed. `what` names the resource
/// for the error, as in "target group arn:…".
pub async fn read_after_write<T, F, Fut>(aws: &Aws, what: &str, read: F) -> Result<T, Diagnostics>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Diagnostics>>,
{
    match until(lag_backoff(LAG), &aws.stop, read).await {
        Ok(found) => Ok(found),
        Err(WaitError::Failed(d)) => Err(d),
        Err(WaitError::Stopped) => Err(Diagnostics::error(
            "Interrupted",
            format!("Stopped while waiting for {what} to become visible."),
        )),
        Err(WaitError::TimedOut(t)) => Err(Diagnostics::error(
            "Resource not found after it was written",
            format!("{what} was written but AWS still answers that it does not exist after {t:?}."),
        )),
    }
}

/// Sends a call again while AWS answers with an error that only means
/// "what was just made is not visible here yet" (`lagging` says which),
/// for at most [`LAG`]; any other answer, or the last one, is returned.
pub async fn retry_while_lagging<T, E, F, Fut>(
    aws: &Aws,
    lagging: impl Fn(&E) -> bool,
    mut call: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + LAG;
    let mut pause = Duration::from_millis(500);
    loop {
        let result = call().await;
        match &result {
            Err(e) if lagging(e) && tokio::time::Instant::now() + pause < deadline => {
                tracing::debug!(?pause, "AWS has not caught up yet; trying again");
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = aws.stop.cancelled() => return result,
                }
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            _ => return result,
        }
    }
}

/// EC2 and Auto Scaling refuse an instance profile for a few seconds after
/// IAM made it ("Invalid IAM Instance Profile name"); the AWS provider
/// retries on that message too.
pub fn is_profile_propagation(err: &impl super::AwsErrorDetail) -> bool {
    let text = err.describe();
    text.contains("Invalid IAM Instance Profile") || text.contains("iamInstanceProfile")
}

/// IAM answers NoSuchEntity for a role or profile made a moment ago.
pub fn is_iam_lag(err: &impl super::AwsErrorDetail) -> bool {
    err.code() == Some("NoSuchEntity")
}
