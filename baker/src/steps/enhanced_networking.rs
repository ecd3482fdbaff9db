//! Step 9a: `image.ena_support` and `image.sriov_support` (Packer's keys)
//! on the stopped builder (ModifyInstanceAttribute, which AWS allows only
//! on a stopped instance: EC2 user guide, "Enable enhanced networking with
//! ENA"); CreateImage then records them in the image. A spot builder is
//! never stopped, so the two keys are refused with `builder.spot_price`
//! before the build starts.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, AttributeValue};

use super::{BuildState, Ctx, Step};
use crate::config::image_attributes::modifies_builder;
use crate::error::StepError;
use crate::progress::StepLine;

pub struct EnhancedNetworking;

#[async_trait]
impl Step for EnhancedNetworking {
    fn name(&self) -> &'static str {
        "set enhanced networking"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let image = &ctx.spec.config.image;
        if !modifies_builder(&ctx.spec.config) {
            return Ok("as the source image has it".into());
        }
        let instance = state.builder()?;
        let ec2 = &ctx.aws.ec2;
        let mut done = Vec::new();
        // One attribute per call, as ModifyInstanceAttribute takes them.
        if let Some(enabled) = image.ena_support {
            line.note("ModifyInstanceAttribute EnaSupport");
            ec2.modify_instance_attribute()
                .instance_id(&instance)
                .ena_support(AttributeBooleanValue::builder().value(enabled).build())
                .send()
                .await
                .map_err(StepError::aws("ModifyInstanceAttribute"))?;
            done.push(if enabled { "ENA on" } else { "ENA off" });
        }
        if image.sriov_support {
            line.note("ModifyInstanceAttribute SriovNetSupport");
            ec2.modify_instance_attribute()
                .instance_id(&instance)
                .sriov_net_support(AttributeValue::builder().value("simple").build())
                .send()
                .await
                .map_err(StepError::aws("ModifyInstanceAttribute"))?;
            done.push("SR-IOV simple");
        }
        Ok(format!("{instance}: {}", done.join(", ")))
    }
}
