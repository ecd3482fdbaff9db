//! Step 8a: generalize the builder, so that the image's instances each get
//! an identity of their own (see [`crate::generalize`]): it installs what
//! clears the machine id, the journal, SSH host keys, cloud-init's and the
//! SSM agent's state and temporary files when the builder powers off (the
//! next step, or CreateImage's reboot of a spot builder). Off with
//! `image.generalize = false`.

use async_trait::async_trait;

use super::deliver::remote_printer;
use super::{BuildState, Ctx, Step};
use crate::communicator::ssm::Ssm;
use crate::communicator::ssm_output::SsmOutput;
use crate::ec2::backoff;
use crate::error::StepError;
use crate::generalize;
use crate::progress::StepLine;

pub struct Generalize;

#[async_trait]
impl Step for Generalize {
    fn name(&self) -> &'static str {
        "generalize"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let config = &ctx.spec.config;
        if !config.image.generalize {
            state.generalized = Some(false);
            return Ok(
                "skipped (image.generalize = false): the image keeps the builder's \
                       machine id, journal and SSH host keys"
                    .to_string(),
            );
        }
        let instance = state.builder()?;
        let ssm = Ssm {
            client: &ctx.aws.ssm,
            instance: &instance,
            backoff: backoff(&config.wait, config.wait.command),
            output: SsmOutput::from_config(&config.communicator),
            s3: Some(&ctx.aws.s3),
        };
        line.note("installing the clearing of the builder's identity");
        ssm.run(
            "the generalize plan",
            &generalize::render(&ctx.spec.unit_name),
            ctx.stop(),
            &remote_printer(ctx),
        )
        .await?;
        state.generalized = Some(true);
        Ok(format!(
            "machine id, journal, SSH host keys, SSM agent state and temporary files of \
             {instance} are cleared as it powers off"
        ))
    }
}
