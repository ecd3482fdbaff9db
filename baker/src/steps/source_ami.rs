//! Step 1: the AMI the builder boots from: the configured id, or the newest
//! available image matching `source.name` among `source.owners`.

use async_trait::async_trait;
use aws_sdk_ec2::types::{Image, ImageState};

use super::{BuildState, Ctx, SourceImage, Step};
use crate::ec2::{describe_image, filter};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct ResolveSource;

#[async_trait]
impl Step for ResolveSource {
    fn name(&self) -> &'static str {
        "resolve source AMI"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _line: &StepLine,
    ) -> Result<String, StepError> {
        let source = &ctx.spec.config.source;
        let image = if source.ami.is_empty() {
            newest_match(
                &ctx.aws.ec2,
                &source.name,
                &source.owners,
                &source.architecture,
            )
            .await?
        } else {
            let image = describe_image(&ctx.aws.ec2, &source.ami)
                .await?
                .ok_or_else(|| {
                    StepError::unexpected(format!(
                        "source.ami {} does not exist in {}",
                        source.ami, ctx.aws.region
                    ))
                })?;
            if image.state() != Some(&ImageState::Available) {
                return Err(StepError::unexpected(format!(
                    "source.ami {} is {}, not available",
                    source.ami,
                    image.state().map_or("in an unknown state", |s| s.as_str())
                )));
            }
            image
        };
        let id = image.image_id().unwrap_or_default().to_string();
        let name = image.name().unwrap_or_default().to_string();
        let summary = format!("{id} ({name})");
        let root_device = image.root_device_name().map(str::to_string);
        let root_size = image
            .block_device_mappings()
            .iter()
            .find(|m| m.device_name().is_some() && m.device_name() == root_device.as_deref())
            .and_then(|m| m.ebs())
            .and_then(|e| e.volume_size());
        // Now that the root device is known, and before anything is made.
        crate::ec2::block_devices::launch_mappings(
            &ctx.spec.config,
            root_device
                .as_deref()
                .unwrap_or(crate::ec2::block_devices::DEFAULT_ROOT_DEVICE),
        )?;
        state.source = Some(SourceImage {
            id,
            name,
            root_device,
            root_size,
        });
        Ok(summary)
    }
}

/// The newest available image named like `pattern`.
async fn newest_match(
    ec2: &aws_sdk_ec2::Client,
    pattern: &str,
    owners: &[String],
    architecture: &str,
) -> Result<Image, StepError> {
    let mut request = ec2
        .describe_images()
        .set_owners(Some(owners.to_vec()))
        .filters(filter("name", &[pattern]))
        .filters(filter("state", &["available"]));
    if !architecture.is_empty() {
        request = request.filters(filter("architecture", &[architecture]));
    }
    let mut pages = request.into_paginator().send();
    let mut newest: Option<Image> = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(StepError::aws("DescribeImages"))?;
        for image in page.images() {
            let newer = newest.as_ref().is_none_or(|n| {
                image.creation_date().unwrap_or_default() > n.creation_date().unwrap_or_default()
            });
            if newer {
                newest = Some(image.clone());
            }
        }
    }
    newest.ok_or_else(|| {
        StepError::unexpected(format!(
            "no available image named {pattern:?} ({architecture}) owned by {} (check source.name, source.owners and source.architecture, or set source.ami)",
            owners.join(", ")
        ))
    })
}
