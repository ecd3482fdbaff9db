//! A panic in a step or a cleanup is a failure like any other, so the
//! cleanups still run; and the test hook that makes a step panic.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;

use crate::error::StepError;

/// Test hook, honoured only in debug builds (never in a release binary):
/// `BAKER_TEST_PANIC_IN_STEP=<step name>` (`wait for SSM agent`) makes that
/// step panic as it starts, and `BAKER_TEST_PANIC_IN_CLEANUP=<step name>`
/// makes its cleanup panic, so the tests can show that the cleanups run
/// after a crash.
pub const PANIC_IN_STEP: &str = "BAKER_TEST_PANIC_IN_STEP";
/// See [`PANIC_IN_STEP`].
pub const PANIC_IN_CLEANUP: &str = "BAKER_TEST_PANIC_IN_CLEANUP";

/// Runs `work`; a panic in it becomes [`StepError::Panicked`]. `hook` names
/// the test hook variable that may ask `step` to panic first.
pub async fn catch<T>(
    hook: &str,
    step: &str,
    work: impl Future<Output = Result<T, StepError>>,
) -> Result<T, StepError> {
    let guarded = async {
        panic_if_asked(hook, step);
        work.await
    };
    // The state a panicking step leaves is what the cleanups look at: each
    // step records what it created before it waits on it, so what it
    // recorded is there to remove.
    match AssertUnwindSafe(guarded).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(StepError::Panicked(message(panic.as_ref()))),
    }
}

fn panic_if_asked(hook: &str, step: &str) {
    if cfg!(debug_assertions) && std::env::var(hook).is_ok_and(|asked| asked == step) {
        panic!("{hook} asked `{step}` to panic");
    }
}

/// What `panic!` was given, when it was text.
fn message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_a_step_error() {
        let result: Result<(), StepError> = catch("BAKER_TEST_UNSET_HOOK", "s", async {
            panic!("boom");
        })
        .await;
        match result {
            Err(StepError::Panicked(message)) => assert_eq!(message, "boom"),
            other => panic!("expected a panic, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn work_that_does_not_panic_is_unchanged() {
        let result = catch("BAKER_TEST_UNSET_HOOK", "s", async { Ok(7) }).await;
        assert!(matches!(result, Ok(7)));
    }
}
