//! Step 3: choose the builder's subnet from `builder.subnet_filter` /
//! `builder.vpc_filter`, before anything is created, so a filter that
//! matches nothing fails the build with nothing to clean up. Without
//! filters, `builder.subnet_id` (or the default VPC) is used as it is.

use async_trait::async_trait;

use super::{BuildState, Ctx, Step};
use crate::ec2::subnets::choose;
use crate::error::StepError;
use crate::progress::StepLine;

pub struct ChooseSubnet;

#[async_trait]
impl Step for ChooseSubnet {
    fn name(&self) -> &'static str {
        "choose subnet"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _line: &StepLine,
    ) -> Result<String, StepError> {
        let builder = &ctx.spec.config.builder;
        if builder.subnet_filter.is_empty() && builder.vpc_filter.is_empty() {
            return Ok(if builder.subnet_id.is_empty() {
                "the default VPC's default subnet".into()
            } else {
                format!("{} (builder.subnet_id)", builder.subnet_id)
            });
        }
        let chosen = choose(&ctx.aws.ec2, builder).await?;
        let subnet = chosen.subnet;
        state.subnet_id = Some(subnet.subnet_id.clone());
        state.vpc_id = Some(subnet.vpc_id.clone());
        Ok(format!(
            "{} in {} ({} free addresses; {} subnet{} matched)",
            subnet.subnet_id,
            subnet.vpc_id,
            subnet.free,
            chosen.matched,
            if chosen.matched == 1 { "" } else { "s" }
        ))
    }
}
