//! AWS is eventually consistent: a resource just created can be "not found"
//! by Describe/Get for a few seconds. Reads right after a write treat that as
//! "not yet", for a bounded time, instead of "gone".

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

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
    stop: &CancellationToken,
    lagging: impl Fn(&E) -> bool,
    mut call: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let last_lagging = std::sync::Mutex::new(None);
    let answered = until(lag_backoff(LAG), stop, || {
        let attempt = call();
        let (lagging, last_lagging) = (&lagging, &last_lagging);
        async move {
            match attempt.await {
                Err(e) if lagging(&e) => {
                    tracing::debug!("AWS has not caught up yet; trying again");
                    if let Ok(mut slot) = last_lagging.lock() {
                        *slot = Some(e);
                    }
                    Ok(None)
                }
                other => Ok::<_, std::convert::Infallible>(Some(other)),
            }
        }
    })
    .await;
    match answered {
        Ok(result) => result,
        // Out of time, or asked to stop: the last "not yet" is the answer.
        Err(_) => match last_lagging.into_inner().ok().flatten() {
            Some(e) => Err(e),
            None => call().await,
        },
    }
}

/// Whether a resource this provider made at `since` may still be invisible
/// to Describe/Get: "not found" then means "not yet", not "gone".
pub fn may_still_be_invisible(since: std::time::Instant) -> bool {
    since.elapsed() < LAG
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_lagging_error_is_retried_until_the_answer_comes() {
        let calls = AtomicU32::new(0);
        let result: Result<&str, &str> = retry_while_lagging(
            &CancellationToken::new(),
            |e| *e == "lag",
            || async {
                match calls.fetch_add(1, Ordering::Relaxed) {
                    0 | 1 => Err("lag"),
                    _ => Ok("made"),
                }
            },
        )
        .await;
        assert_eq!(result, Ok("made"));
        assert_eq!(calls.load(Ordering::Relaxed), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn another_error_is_returned_at_once() {
        let calls = AtomicU32::new(0);
        let result: Result<(), &str> = retry_while_lagging(
            &CancellationToken::new(),
            |e| *e == "lag",
            || async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err("denied")
            },
        )
        .await;
        assert_eq!(result, Err("denied"));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_lag_the_last_lagging_error_is_the_answer() {
        let started = tokio::time::Instant::now();
        let result: Result<(), &str> = retry_while_lagging(
            &CancellationToken::new(),
            |e| *e == "lag",
            || async { Err("lag") },
        )
        .await;
        assert_eq!(result, Err("lag"));
        assert!(started.elapsed() >= LAG, "{:?}", started.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_retries_with_the_last_answer() {
        let stop = CancellationToken::new();
        let calls = AtomicU32::new(0);
        let result: Result<(), &str> = retry_while_lagging(
            &stop,
            |e| *e == "lag",
            || async {
                if calls.fetch_add(1, Ordering::Relaxed) == 1 {
                    stop.cancel();
                }
                Err("lag")
            },
        )
        .await;
        assert_eq!(result, Err("lag"));
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    }
}
