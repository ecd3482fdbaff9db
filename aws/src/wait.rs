//! Waiting for AWS to reach a state: poll with a capped exponential backoff,
//! give up at a deadline, and stop at once when asked to.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub timeout: Duration,
}

impl Backoff {
    pub const fn new(timeout: Duration) -> Self {
        Self {
            first: Duration::from_millis(200),
            max: Duration::from_secs(10),
            timeout,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WaitError<E> {
    #[error("gave up after {0:?}")]
    TimedOut(Duration),
    #[error("interrupted")]
    Stopped,
    #[error(transparent)]
    Failed(E),
}

/// Calls `check` until it returns `Ok(Some(value))`. `Ok(None)` means "not
/// yet"; an error ends the wait.
pub async fn until<T, E, F, Fut>(
    backoff: Backoff,
    stop: &CancellationToken,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let deadline = Instant::now() + backoff.timeout;
    let mut delay = backoff.first;
    loop {
        if stop.is_cancelled() {
            return Err(WaitError::Stopped);
        }
        if let Some(value) = check().await.map_err(WaitError::Failed)? {
            return Ok(value);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut(backoff.timeout));
        }
        let pause = delay.min(deadline - now);
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.cancelled() => return Err(WaitError::Stopped),
        }
        delay = (delay * 2).min(backoff.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn returns_when_ready_and_times_out_otherwise() {
        let stop = CancellationToken::new();
        let mut calls = 0;
        let got: Result<u32, WaitError<()>> =
            until(Backoff::new(Duration::from_secs(60)), &stop, || {
                calls += 1;
                let ready = calls >= 3;
                async move { Ok(ready.then_some(7)) }
            })
            .await;
        assert_eq!(got.ok(), Some(7));

        let never: Result<(), WaitError<()>> =
            until(Backoff::new(Duration::from_secs(5)), &stop, || async {
                Ok(None)
            })
            .await;
        assert!(matches!(never, Err(WaitError::TimedOut(_))));
    }

    #[tokio::test]
    async fn a_stop_ends_the_wait() {
        let stop = CancellationToken::new();
        stop.cancel();
        let r: Result<(), WaitError<()>> =
            until(Backoff::new(Duration::from_secs(5)), &stop, || async {
                Ok(None)
            })
            .await;
        assert!(matches!(r, Err(WaitError::Stopped)));
    }
}
