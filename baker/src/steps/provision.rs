//! Step 8: run the provisioning plan through SSM `AWS-RunShellScript`,
//! showing its output, failing with its stderr.

use async_trait::async_trait;

use super::deliver::remote_printer;
use super::{BuildState, Ctx, Step};
use crate::communicator::ssm::Ssm;
use crate::communicator::ssm_output::SsmOutput;
use crate::ec2::backoff;
use crate::error::StepError;
use crate::progress::StepLine;
use crate::provision::Plan;

pub struct Provision;

/// The plan for this build.
pub fn plan(ctx: &Ctx) -> Plan {
    let config = &ctx.spec.config;
    Plan {
        app: config.app.name.clone(),
        unit: ctx.spec.unit_name.clone(),
        port: config.app.port,
        commit: ctx.spec.info.commit.clone(),
        build: ctx.spec.info.build.clone(),
        node_package: config.app.node_package.clone(),
        health_timeout: config.app.health_timeout,
    }
}

#[async_trait]
impl Step for Provision {
    fn name(&self) -> &'static str {
        "provision"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let instance = state.builder()?;
        let config = &ctx.spec.config;
        let ssm = Ssm {
            client: &ctx.aws.ssm,
            instance: &instance,
            backoff: backoff(&config.wait, config.wait.command),
            output: SsmOutput::from_config(&config.communicator),
            s3: Some(&ctx.aws.s3),
        };
        line.note("running the provisioning plan");
        ssm.run(
            "the provisioning plan",
            &plan(ctx).render(),
            ctx.stop(),
            &remote_printer(ctx),
        )
        .await?;
        Ok(format!(
            "{} installed in /opt/{}, {} enabled, /health answers",
            config.app.name, config.app.name, ctx.spec.unit_name
        ))
    }
}
