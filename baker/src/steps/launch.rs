//! Step 5: the builder instance: no key pair, the temporary group, IMDSv2
//! required, tagged with the build id; then wait until it runs.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, HttpTokensState, IamInstanceProfileSpecification,
    InstanceMetadataEndpointState, InstanceMetadataOptionsRequest, InstanceStateName, ResourceType,
};
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::tags::tag_specification;
use roundrobin_aws::wait::{self, Backoff};

use super::{BuildState, Ctx, Outcome, Step};
use crate::ec2::{backoff, instances_of_build, terminate, wait_error, wait_instance};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct Launch;

/// How long a new instance profile may take to become usable by EC2.
const PROFILE_PROPAGATION: Duration = Duration::from_secs(90);

/// AWS's answer while a fresh instance profile is not visible to EC2 yet.
fn profile_not_ready(code: Option<&str>, message: &str) -> bool {
    code == Some("InvalidParameterValue")
        && message.to_ascii_lowercase().contains("iaminstanceprofile")
}

#[async_trait]
impl Step for Launch {
    fn name(&self) -> &'static str {
        "launch builder"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let config = &ctx.spec.config;
        let source = state
            .source
            .clone()
            .ok_or_else(|| StepError::unexpected("no source image resolved"))?;
        let profile = state
            .profile
            .clone()
            .ok_or_else(|| StepError::unexpected("no instance profile"))?;
        let group = state
            .security_group
            .clone()
            .ok_or_else(|| StepError::unexpected("no security group"))?;
        let tags = ctx.spec.builder_tags();
        let mut request = ctx
            .aws
            .ec2
            .run_instances()
            .image_id(&source.id)
            .instance_type(config.builder.instance_type.as_str().into())
            .min_count(1)
            .max_count(1)
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .name(&profile)
                    .build(),
            )
            .security_group_ids(&group)
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_tokens(HttpTokensState::Required)
                    .http_endpoint(InstanceMetadataEndpointState::Enabled)
                    .build(),
            )
            .set_tag_specifications(Some(
                [ResourceType::Instance, ResourceType::Volume]
                    .into_iter()
                    .filter_map(|r| tag_specification(r, &tags))
                    .collect(),
            ))
            // The same token makes a retried call return the same instance.
            .client_token(&ctx.spec.build_id);
        if !config.builder.subnet_id.is_empty() {
            request = request.subnet_id(&config.builder.subnet_id);
        }
        if config.builder.volume_size > 0 {
            let device = source
                .root_device
                .clone()
                .unwrap_or_else(|| "/dev/xvda".into());
            let size = i32::try_from(config.builder.volume_size).unwrap_or(i32::MAX);
            request = request.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name(device)
                    .ebs(
                        EbsBlockDevice::builder()
                            .volume_size(size)
                            .delete_on_termination(true)
                            .build(),
                    )
                    .build(),
            );
        }

        line.note("RunInstances");
        let propagation = Backoff {
            timeout: PROFILE_PROPAGATION,
            ..backoff(&config.wait, 1)
        };
        let out = wait::until(propagation, ctx.stop(), || {
            let request = request.clone();
            async move {
                match request.send().await {
                    Ok(out) => Ok(Some(out)),
                    Err(e) if profile_not_ready(e.code(), &e.describe()) => Ok(None),
                    Err(e) => Err(StepError::aws("RunInstances")(e)),
                }
            }
        })
        .await
        .map_err(|e| {
            wait_error(
                e,
                format!("instance profile {profile} to become usable by EC2"),
                None,
            )
        })?;
        let id = out
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .ok_or_else(|| StepError::unexpected("RunInstances returned no instance"))?
            .to_string();
        // Recorded before waiting: from here on, the cleanup terminates it.
        state.instance = Some(id.clone());

        line.note(&format!("waiting for {id} to run"));
        wait_instance(
            &ctx.aws.ec2,
            &id,
            InstanceStateName::Running,
            backoff(&config.wait, config.wait.instance_running),
            ctx.stop(),
        )
        .await?;
        Ok(format!("{id} ({}) running", config.builder.instance_type))
    }

    async fn cleanup(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        let mut ids: Vec<String> = state.instance.iter().cloned().collect();
        // A RunInstances whose answer never came still tagged its instance.
        for id in instances_of_build(&ctx.aws.ec2, &ctx.spec.build_id).await? {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Ok(None);
        }
        let wait = backoff(
            &ctx.spec.config.wait,
            ctx.spec.config.wait.instance_terminated,
        );
        terminate(&ctx.aws.ec2, &ids, wait, ctx.cleanup_stop()).await?;
        state.instance = None;
        Ok(Some(format!("terminated {}", ids.join(", "))))
    }
}
