//! Step 11: terminate the builder as soon as the image exists (the launch
//! step's cleanup then finds nothing left to do). The image is complete by
//! now: a failure here is a warning, and the launch step's cleanup tries
//! again (and reports what it could not remove).

use async_trait::async_trait;

use super::{BuildState, Ctx, Step};
use crate::ec2::{backoff, terminate};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct Terminate;

#[async_trait]
impl Step for Terminate {
    fn name(&self) -> &'static str {
        "terminate builder"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let Some(instance) = state.instance.clone() else {
            return Ok("nothing to terminate".into());
        };
        line.note(&format!("waiting for {instance} to terminate"));
        let config = &ctx.spec.config.wait;
        match terminate(
            &ctx.aws.ec2,
            std::slice::from_ref(&instance),
            &state.young_instances(),
            &ctx.spec.build_id,
            backoff(config, config.instance_terminated),
            ctx.stop(),
        )
        .await
        {
            Ok(_) => {
                state.instance = None;
                state.instance_launched = None;
                Ok(format!("{instance} terminated"))
            }
            Err(_) if ctx.stop().is_cancelled() => Err(StepError::Interrupted),
            Err(e) => {
                ctx.progress.info(&format!(
                    "warning: terminating {instance} failed: {e} (the cleanup tries again)"
                ));
                Ok("left to the cleanup".into())
            }
        }
    }
}
