//! Step 6: wait until the SSM agent on the builder reports Online
//! (`DescribeInstanceInformation`), with a timeout that says what to check.

use async_trait::async_trait;
use aws_sdk_ssm::types::{InstanceInformationStringFilter, PingStatus};
use roundrobin_aws::wait;

use super::{BuildState, Ctx, Step};
use crate::ec2::{backoff, wait_error};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct WaitForSsm;

/// The SSM ping status of an instance; `None` while it has not registered.
pub async fn ping_status(
    ssm: &aws_sdk_ssm::Client,
    instance: &str,
) -> Result<Option<PingStatus>, StepError> {
    let filter = InstanceInformationStringFilter::builder()
        .key("InstanceIds")
        .values(instance)
        .build()
        .map_err(|e| StepError::unexpected(format!("SSM filter: {e}")))?;
    let out = ssm
        .describe_instance_information()
        .filters(filter)
        .send()
        .await
        .map_err(StepError::aws("DescribeInstanceInformation"))?;
    Ok(out
        .instance_information_list()
        .iter()
        .find(|i| i.instance_id() == Some(instance))
        .and_then(|i| i.ping_status().cloned()))
}

#[async_trait]
impl Step for WaitForSsm {
    fn name(&self) -> &'static str {
        "wait for SSM agent"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let instance = state.builder()?;
        let config = &ctx.spec.config;
        line.note(&format!("waiting for {instance} to register with SSM"));
        let result = wait::until(
            backoff(&config.wait, config.wait.ssm_online),
            ctx.stop(),
            || async {
                Ok(ping_status(&ctx.aws.ssm, &instance)
                    .await?
                    .filter(|s| *s == PingStatus::Online))
            },
        )
        .await;
        result.map_err(|e| {
            let profile = state.profile.as_deref().unwrap_or("(none)");
            wait_error(
                e,
                format!("the SSM agent on {instance} to come online"),
                Some(format!(
                    "check that instance profile {profile} grants AmazonSSMManagedInstanceCore, that the subnet \
                     allows outbound HTTPS (443) to the ssm, ssmmessages and ec2messages endpoints (a public IP, \
                     a NAT gateway or VPC endpoints), and that the source AMI has the SSM agent (Amazon Linux and \
                     Ubuntu images do); raise wait.ssm_online if the instance boots slowly"
                )),
            )
        })?;
        Ok(format!("{instance} is online"))
    }
}
