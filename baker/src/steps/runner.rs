//! Runs the steps in order, then the cleanups of every step that started, in
//! reverse, whatever happened: success, a failed step, a signal, or a panic
//! (a crash in a step is caught as its failure; one in a cleanup as that
//! cleanup's failure, and the next cleanups still run).

use super::ask::{self, Answer};
use super::panics;
use super::{BuildState, Ctx, OnError, Outcome, Step};
use crate::error::{CleanupFailure, Error, StepError};

/// Runs `steps`; on `Ok`, every step ran and every cleanup succeeded.
pub async fn run(ctx: &Ctx, steps: &[Box<dyn Step>], state: &mut BuildState) -> Result<(), Error> {
    let mut started = 0;
    let mut failure: Option<(&'static str, StepError)> = None;
    // Leave everything for debugging: --on-error=abort, or the answer to ask.
    let mut keep = ctx.spec.on_error == OnError::Abort;
    let mut index = 0;
    while let Some(step) = steps.get(index) {
        if ctx.stop().is_cancelled() {
            failure = Some((step.name(), StepError::Interrupted));
            break;
        }
        started = started.max(index + 1);
        tracing::debug!(step = step.name(), "starting");
        let line = ctx.progress.step(step.name());
        let result = panics::catch(
            panics::PANIC_IN_STEP,
            step.name(),
            step.run(ctx, state, &line),
        )
        .await;
        match result {
            Ok(summary) => {
                line.done(&summary);
                index += 1;
            }
            Err(error @ StepError::Panicked(_)) => {
                line.failed("crashed");
                failure = Some((step.name(), error));
                break;
            }
            Err(error) => {
                line.failed(if ctx.stop().is_cancelled() {
                    "interrupted"
                } else {
                    "failed"
                });
                if ctx.spec.on_error == OnError::Ask && !ctx.stop().is_cancelled() {
                    match decide(ctx, step.as_ref(), state, &error).await {
                        Answer::Retry => {
                            state.retries += 1;
                            continue;
                        }
                        Answer::Abort => keep = true,
                        Answer::Cleanup => {}
                    }
                }
                failure = Some((step.name(), error));
                break;
            }
        }
    }

    let outcome = match &failure {
        None => Outcome::Success,
        Some((_, StepError::Panicked(_))) => Outcome::Failed,
        Some(_) if ctx.stop().is_cancelled() => Outcome::Interrupted,
        Some(_) => Outcome::Failed,
    };

    if outcome == Outcome::Failed && keep {
        report_abort(ctx, state);
        let (step, error) = failure.unwrap_or(("(none)", StepError::unexpected("no failure")));
        return Err(match error {
            StepError::Panicked(message) => Error::Crashed {
                step,
                message,
                cleanup: Vec::new(),
            },
            error => Error::Step {
                step,
                error: Box::new(error),
                cleanup: Vec::new(),
            },
        });
    }

    let cleanup = cleanup(ctx, &steps[..started], state, outcome).await;

    match failure {
        None if cleanup.is_empty() => Ok(()),
        None => Err(Error::Cleanup(cleanup)),
        Some((step, StepError::Panicked(message))) => Err(Error::Crashed {
            step,
            message,
            cleanup,
        }),
        Some((step, _)) if outcome == Outcome::Interrupted => Err(Error::Interrupted {
            signal: signal_name(ctx),
            step,
            cleanup,
        }),
        Some((step, error)) => Err(Error::Step {
            step,
            error: Box::new(error),
            cleanup,
        }),
    }
}

/// `--on-error=ask`: what to do about `step` failing with `error`. Before
/// a retry, the step's own cleanup removes what it half-made (so nothing is
/// made twice); when that fails, the question is asked again.
async fn decide(ctx: &Ctx, step: &dyn Step, state: &mut BuildState, error: &StepError) -> Answer {
    loop {
        let answer = ask::ask(ctx, step.name(), error).await;
        if answer != Answer::Retry {
            return answer;
        }
        match step.cleanup(ctx, state, Outcome::Failed).await {
            Ok(removed) => {
                if let Some(removed) = removed {
                    ctx.progress
                        .info(&format!("before retrying ({}): {removed}", step.name()));
                }
                ctx.progress
                    .info(&format!("retrying step `{}`", step.name()));
                return Answer::Retry;
            }
            Err(e) => ctx.progress.info(&format!(
                "cleanup ({}) before retrying failed: {e}",
                step.name()
            )),
        }
    }
}

/// The cleanups of `started`, last first; every one runs even when an
/// earlier one failed.
async fn cleanup(
    ctx: &Ctx,
    started: &[Box<dyn Step>],
    state: &mut BuildState,
    outcome: Outcome,
) -> Vec<CleanupFailure> {
    let mut failures = Vec::new();
    for step in started.iter().rev() {
        tracing::debug!(step = step.name(), ?outcome, "cleanup");
        let result = panics::catch(
            panics::PANIC_IN_CLEANUP,
            step.name(),
            step.cleanup(ctx, state, outcome),
        )
        .await;
        match result {
            Ok(Some(removed)) => ctx
                .progress
                .info(&format!("cleanup ({}): {removed}", step.name())),
            Ok(None) => {}
            Err(error) => {
                ctx.progress
                    .info(&format!("cleanup ({}) failed: {error}", step.name()));
                failures.push(CleanupFailure {
                    step: step.name(),
                    error,
                });
            }
        }
    }
    failures
}

fn signal_name(ctx: &Ctx) -> &'static str {
    ctx.signals.received().unwrap_or("a signal")
}

/// `--on-error=abort`: say what is left and how to reach the builder.
fn report_abort(ctx: &Ctx, state: &BuildState) {
    let progress = &ctx.progress;
    let why = match ctx.spec.on_error {
        OnError::Ask => "abort (as answered)",
        _ => "--on-error=abort",
    };
    progress.info(&format!(
        "{why}: nothing was cleaned up; left for debugging:"
    ));
    for thing in state.created() {
        progress.info(&format!("  - {thing}"));
    }
    if let Some(instance) = &state.instance {
        let unit = &ctx.spec.unit_name;
        progress.info(&format!(
            "reach the builder without SSH: `baker exec --instance-id {instance} -- journalctl -u {unit} --no-pager` \
             or `aws ssm start-session --target {instance}`"
        ));
    }
    progress.info("remove it all by hand when done (terminate the instance first, then the security group, profile and role)");
}
