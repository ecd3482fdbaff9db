//! Runs the steps in order, then the cleanups of every step that started, in
//! reverse, whatever happened: success, a failed step, or a signal.

use super::{BuildState, Ctx, OnError, Outcome, Step};
use crate::error::{CleanupFailure, Error, StepError};

/// Runs `steps`; on `Ok`, every step ran and every cleanup succeeded.
pub async fn run(ctx: &Ctx, steps: &[Box<dyn Step>], state: &mut BuildState) -> Result<(), Error> {
    let mut started = 0;
    let mut failure: Option<(&'static str, StepError)> = None;
    for step in steps {
        if ctx.stop().is_cancelled() {
            failure = Some((step.name(), StepError::Interrupted));
            break;
        }
        started += 1;
        tracing::debug!(step = step.name(), "starting");
        let line = ctx.progress.step(step.name());
        match step.run(ctx, state, &line).await {
            Ok(summary) => line.done(&summary),
            Err(error) => {
                line.failed(if ctx.stop().is_cancelled() {
                    "interrupted"
                } else {
                    "failed"
                });
                failure = Some((step.name(), error));
                break;
            }
        }
    }

    let outcome = match &failure {
        None => Outcome::Success,
        Some(_) if ctx.stop().is_cancelled() => Outcome::Interrupted,
        Some(_) => Outcome::Failed,
    };

    if outcome == Outcome::Failed && ctx.spec.on_error == OnError::Abort {
        report_abort(ctx, state);
        let (step, error) = failure.unwrap_or(("(none)", StepError::unexpected("no failure")));
        return Err(Error::Step {
            step,
            error: Box::new(error),
            cleanup: Vec::new(),
        });
    }

    let cleanup = cleanup(ctx, &steps[..started], state, outcome).await;

    match failure {
        None if cleanup.is_empty() => Ok(()),
        None => Err(Error::Cleanup(cleanup)),
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
        match step.cleanup(ctx, state, outcome).await {
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
    progress.info("--on-error=abort: nothing was cleaned up; left for debugging:");
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
