//! AWS is eventually consistent ("Eventual consistency in the Amazon EC2
//! API"; Elastic Load Balancing and IAM alike): for a few seconds after a
//! create, a call naming the new object, read or write, can answer that it
//! does not exist. A caller that made the object itself treats that answer
//! as "not yet", for a bounded time; for an object it did not just make, the
//! answer stands.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::wait::{Backoff, WaitError, until};

/// How long a just-created object may stay invisible before we believe it
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

/// The error codes AWS answers for an object it does not know (yet).
pub fn is_not_found(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "InvalidGroup.NotFound"
                | "InvalidGroupId.NotFound"
                | "InvalidInstanceID.NotFound"
                | "InvalidAMIID.NotFound"
                | "InvalidLaunchTemplateId.NotFound"
                | "InvalidLaunchTemplateName.NotFoundException"
                | "LoadBalancerNotFound"
                | "TargetGroupNotFound"
                | "ListenerNotFound"
                | "NoSuchEntity"
        )
    )
}

/// Why a call retried while its object was not visible did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub enum LagError<E> {
    /// AWS's answer: another error, or still "not found" after [`LAG`].
    Aws(E),
    /// Asked to stop while waiting; the last "not found" answer.
    Stopped(E),
}

impl<E> LagError<E> {
    /// AWS's last answer, whatever ended the wait.
    pub fn into_inner(self) -> E {
        match self {
            LagError::Aws(e) | LagError::Stopped(e) => e,
        }
    }
}

/// Sends a call again while AWS answers with an error that only means
/// "what was just made is not visible here yet" (`lagging` says which),
/// for at most [`LAG`]; any other answer, or the last one, is returned.
pub async fn retry_while_not_visible<T, E, F, Fut>(
    stop: &CancellationToken,
    lagging: impl Fn(&E) -> bool,
    mut call: F,
) -> Result<T, LagError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let last_lagging = Mutex::new(None);
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
    let last = last_lagging.into_inner().ok().flatten();
    match answered {
        Ok(result) => result.map_err(LagError::Aws),
        Err(WaitError::Stopped) => match last {
            Some(e) => Err(LagError::Stopped(e)),
            // Stopped before the first attempt: make it once.
            None => call().await.map_err(LagError::Stopped),
        },
        Err(_) => match last {
            Some(e) => Err(LagError::Aws(e)),
            None => call().await.map_err(LagError::Aws),
        },
    }
}

/// [`retry_while_not_visible`] for callers that only need AWS's answer.
pub async fn retry_while_lagging<T, E, F, Fut>(
    stop: &CancellationToken,
    lagging: impl Fn(&E) -> bool,
    call: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    retry_while_not_visible(stop, lagging, call)
        .await
        .map_err(LagError::into_inner)
}

/// Whether an object this process made at `since` may still be invisible:
/// "not found" then means "not yet", not "gone".
pub fn may_still_be_invisible(since: std::time::Instant) -> bool {
    since.elapsed() < LAG
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
        let result: Result<(), LagError<&str>> = retry_while_not_visible(
            &CancellationToken::new(),
            |e| *e == "lag",
            || async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err("denied")
            },
        )
        .await;
        assert_eq!(result, Err(LagError::Aws("denied")));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_lag_the_last_lagging_error_is_the_answer() {
        let started = tokio::time::Instant::now();
        let result: Result<(), LagError<&str>> = retry_while_not_visible(
            &CancellationToken::new(),
            |e| *e == "lag",
            || async { Err("lag") },
        )
        .await;
        assert_eq!(result, Err(LagError::Aws("lag")));
        assert!(started.elapsed() >= LAG, "{:?}", started.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_retries_with_the_last_answer() {
        let stop = CancellationToken::new();
        let calls = AtomicU32::new(0);
        let result: Result<(), LagError<&str>> = retry_while_not_visible(
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
        assert_eq!(result, Err(LagError::Stopped("lag")));
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn not_found_codes_are_told_apart_from_other_errors() {
        assert!(is_not_found(Some("InvalidGroup.NotFound")));
        assert!(is_not_found(Some("TargetGroupNotFound")));
        assert!(!is_not_found(Some("InvalidPermission.Duplicate")));
        assert!(!is_not_found(None));
    }
}
