//! Step 5: the builder instance: no key pair, the temporary group (or the
//! existing ones configured), IMDSv2 required unless `builder.metadata_options`
//! says otherwise, tagged with the build id; then wait until it runs.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, HttpTokensState, IamInstanceProfileSpecification,
    InstanceMetadataEndpointState, InstanceMetadataOptionsRequest, InstanceMetadataTagsState,
    InstanceNetworkInterfaceSpecification, InstanceStateName, ResourceType, ShutdownBehavior,
};
use base64::Engine as _;
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::tags::tag_specification;
use roundrobin_aws::wait::{self, Backoff};

use super::{BuildState, Ctx, Outcome, Step, spot};
use crate::config::user_data::user_data;
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

/// `builder.metadata_options` (Packer's `metadata_options`) as
/// RunInstances takes them; checked before the first AWS call.
fn metadata_options(
    options: &crate::config::launch_settings::MetadataOptions,
) -> InstanceMetadataOptionsRequest {
    InstanceMetadataOptionsRequest::builder()
        .http_tokens(HttpTokensState::from(options.http_tokens.as_str()))
        .http_endpoint(InstanceMetadataEndpointState::from(
            options.http_endpoint.as_str(),
        ))
        .http_put_response_hop_limit(
            i32::try_from(options.http_put_response_hop_limit).unwrap_or(1),
        )
        .instance_metadata_tags(InstanceMetadataTagsState::from(
            options.instance_metadata_tags.as_str(),
        ))
        .build()
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
        let groups = state.launch_groups()?;
        // Packer's run_tags / run_volume_tags, under baker's own tags.
        let with = |extra: &std::collections::BTreeMap<String, String>| {
            let mut tags = extra.clone();
            tags.extend(ctx.spec.builder_tags());
            tags
        };
        let instance_tags = with(&config.builder.run_tags);
        let volume_tags = with(&config.builder.run_volume_tags);
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
            .metadata_options(metadata_options(&config.builder.metadata_options))
            .set_tag_specifications(Some(
                [
                    (ResourceType::Instance, &instance_tags),
                    (ResourceType::Volume, &volume_tags),
                ]
                .into_iter()
                .filter_map(|(r, tags)| tag_specification(r, tags))
                .collect(),
            ))
            // The same token makes a retried call return the same instance.
            .client_token(super::ask::client_token(&ctx.spec.build_id, state.retries));
        // Packer's shutdown_behavior; unset: AWS's default.
        if !config.builder.shutdown_behavior.is_empty() {
            request = request.instance_initiated_shutdown_behavior(ShutdownBehavior::from(
                config.builder.shutdown_behavior.as_str(),
            ));
        }
        // Checked before the first AWS call; read again here.
        if let Some(data) = user_data(config, &ctx.spec.base_dir)
            .map_err(|message| StepError::unexpected(format!("builder.user_data: {message}")))?
        {
            request = request.user_data(base64::engine::general_purpose::STANDARD.encode(data));
        }
        // The subnet builder.subnet_filter / vpc_filter chose, else the key.
        let subnet = state
            .subnet_id
            .as_deref()
            .unwrap_or(&config.builder.subnet_id);
        match config.builder.associate_public_ip_address {
            // An explicit choice (Packer's associate_public_ip_address) takes
            // a network interface, which then carries subnet and group.
            Some(public) => {
                let mut interface = InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(public)
                    .delete_on_termination(true)
                    .set_groups(Some(groups.clone()));
                if !subnet.is_empty() {
                    interface = interface.subnet_id(subnet);
                }
                request = request.network_interfaces(interface.build());
            }
            None => {
                request = request.set_security_group_ids(Some(groups.clone()));
                if !subnet.is_empty() {
                    request = request.subnet_id(subnet);
                }
            }
        }
        let image = &config.image;
        if config.builder.volume_size > 0 || image.encrypt_boot {
            let device = source
                .root_device
                .clone()
                .unwrap_or_else(|| "/dev/xvda".into());
            let mut ebs = EbsBlockDevice::builder().delete_on_termination(true);
            // The size is given even when unchanged: a mapping that only
            // sets encryption is not accepted everywhere.
            if config.builder.volume_size > 0 {
                ebs =
                    ebs.volume_size(i32::try_from(config.builder.volume_size).unwrap_or(i32::MAX));
            } else if let Some(size) = source.root_size {
                ebs = ebs.volume_size(size);
            }
            // An encrypted root volume gives an image with encrypted
            // snapshots (Packer's encrypt_boot, without the extra copy).
            if image.encrypt_boot {
                ebs = ebs.encrypted(true);
                if !image.kms_key_id.is_empty() {
                    ebs = ebs.kms_key_id(&image.kms_key_id);
                }
            }
            request = request.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name(device)
                    .ebs(ebs.build())
                    .build(),
            );
        }
        // Packer's launch_block_device_mappings, beside the root mapping.
        let root = source
            .root_device
            .as_deref()
            .unwrap_or(crate::ec2::block_devices::DEFAULT_ROOT_DEVICE);
        for mapping in crate::ec2::block_devices::launch_mappings(config, root)? {
            request = request.block_device_mappings(mapping);
        }

        let propagation = Backoff {
            timeout: PROFILE_PROPAGATION,
            ..backoff(&config.wait, 1)
        };
        // On-demand, or spot for each allowed type then the on-demand
        // fallback (builder.spot_price, see spot.rs).
        let attempts = spot::attempts(&config.builder)?;
        let profile = &profile;
        let (out, attempt) = spot::launch(ctx, &attempts, |attempt| {
            let request = spot::apply(request.clone(), attempt);
            line.note(&format!("RunInstances ({attempt})"));
            async move {
                wait::until(propagation, ctx.stop(), || {
                    let request = request.clone();
                    async move {
                        match request.send().await {
                            Ok(out) => Ok(Some(Ok(out))),
                            Err(e) if profile_not_ready(e.code(), &e.describe()) => Ok(None),
                            Err(e) if spot::unavailable(e.code()) => Ok(Some(Err(e.describe()))),
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
                })
            }
        })
        .await?;
        let id = out
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .ok_or_else(|| StepError::unexpected("RunInstances returned no instance"))?
            .to_string();
        // Recorded before waiting: from here on, the cleanup terminates it.
        state.instance = Some(id.clone());
        state.instance_launched = Some(std::time::Instant::now());
        state.spot_request = spot::request_of(&out);
        state.spot_builder = attempt.spot.is_some() || spot::is_spot(&out);

        line.note(&format!("waiting for {id} to run"));
        wait_instance(
            &ctx.aws.ec2,
            &id,
            InstanceStateName::Running,
            backoff(&config.wait, config.wait.instance_running),
            ctx.stop(),
        )
        .await?;
        Ok(format!("{id} ({attempt}) running"))
    }

    async fn cleanup(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        // A spot builder's request first (it never stops the terminate).
        spot::cancel_request(ctx, state, self.name()).await;
        let build_id = &ctx.spec.build_id;
        let mut ids: Vec<String> = state.instance.iter().cloned().collect();
        // A RunInstances whose answer never came still tagged its instance.
        // When that lookup fails, the known instance is still terminated.
        let lookup = instances_of_build(&ctx.aws.ec2, build_id).await;
        let lookup_error = match lookup {
            Ok(found) => {
                for id in found {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                None
            }
            Err(e) => Some(e),
        };
        let mut summary = None;
        if !ids.is_empty() {
            let wait = backoff(
                &ctx.spec.config.wait,
                ctx.spec.config.wait.instance_terminated,
            );
            let young = state.young_instances();
            let done = terminate(
                &ctx.aws.ec2,
                &ids,
                &young,
                build_id,
                wait,
                ctx.cleanup_stop(),
            )
            .await?;
            state.instance = None;
            state.instance_launched = None;
            let mut parts = Vec::new();
            if !done.terminated.is_empty() {
                parts.push(format!("terminated {}", done.terminated.join(", ")));
            }
            if !done.not_found.is_empty() {
                parts.push(format!(
                    "{} not found (by id nor by the baker:build-id tag): nothing to terminate",
                    done.not_found.join(", ")
                ));
            }
            summary = Some(parts.join("; "));
        }
        match lookup_error {
            None => Ok(summary),
            Some(reason) => {
                if let Some(summary) = summary {
                    ctx.progress
                        .info(&format!("cleanup ({}): {summary}", self.name()));
                }
                Err(StepError::Left {
                    left: vec![format!(
                        "any other instance tagged baker:build-id={build_id} (they could not be listed)"
                    )],
                    reason: Box::new(reason),
                })
            }
        }
    }
}
