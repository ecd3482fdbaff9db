//! Step 9: stop the builder, so the image is taken from a quiet disk.
//!
//! Not for a spot builder: AWS refuses to stop an instance of a one-time
//! spot request (`UnsupportedOperation`; EC2 user guide, "Stop a Spot
//! Instance"), as Packer's amazon-ebs knows and skips its stop step for
//! spot. The image step then images the running builder, which CreateImage
//! reboots (AWS's default, `NoReboot = false`) so the disk is consistent.

use async_trait::async_trait;
use aws_sdk_ec2::types::InstanceStateName;

use super::{BuildState, Ctx, Step};
use crate::ec2::{backoff, wait_instance};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct StopBuilder;

#[async_trait]
impl Step for StopBuilder {
    fn name(&self) -> &'static str {
        "stop builder"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let instance = state.builder()?;
        if state.spot_builder {
            return Ok(format!(
                "{instance} is a spot instance: not stopped (AWS cannot stop a one-time spot \
                 instance); the image is made from it running, with a reboot"
            ));
        }
        ctx.aws
            .ec2
            .stop_instances()
            .instance_ids(&instance)
            .send()
            .await
            .map_err(StepError::aws("StopInstances"))?;
        line.note(&format!("waiting for {instance} to stop"));
        let config = &ctx.spec.config.wait;
        wait_instance(
            &ctx.aws.ec2,
            &instance,
            InstanceStateName::Stopped,
            backoff(config, config.instance_stopped),
            ctx.stop(),
        )
        .await?;
        Ok(format!("{instance} stopped"))
    }
}
