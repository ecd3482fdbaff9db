//! Step 1: the AMI the builder boots from: the configured id, or the image
//! the source filters match among `source.owners` (`source.filters`, else
//! `source.name` and `source.architecture`): the newest with
//! `source.most_recent`, else the only one.

use async_trait::async_trait;
use aws_sdk_ec2::types::{Image, ImageState};

use super::{BuildState, Ctx, SourceImage, Step};
use crate::config::source_filter;
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
            matching_image(&ctx.aws.ec2, source).await?
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

/// The image the source filters choose: the newest of those matching with
/// `source.most_recent`, else the one and only match. None, or several
/// without `most_recent`, is an error naming the filters and owners.
async fn matching_image(
    ec2: &aws_sdk_ec2::Client,
    source: &crate::config::SourceConfig,
) -> Result<Image, StepError> {
    let filters = source_filter::image_filters(source);
    let mut request = ec2
        .describe_images()
        .set_owners(Some(source.owners.clone()));
    for (name, value) in &filters {
        request = request.filters(filter(name, &[value]));
    }
    let mut pages = request.into_paginator().send();
    let mut found: Vec<Image> = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(StepError::aws("DescribeImages"))?;
        found.extend(page.images().iter().cloned());
    }
    let owners = source.owners.join(", ");
    let described = source_filter::describe(&filters);
    // Newest first; ties by id, so the choice does not depend on the order
    // of AWS's answer.
    found.sort_by(|a, b| {
        b.creation_date()
            .unwrap_or_default()
            .cmp(a.creation_date().unwrap_or_default())
            .then_with(|| a.image_id().cmp(&b.image_id()))
    });
    if found.len() > 1 && !source.most_recent {
        let ids: Vec<&str> = found
            .iter()
            .take(5)
            .map(|i| i.image_id().unwrap_or_default())
            .collect();
        let more = if found.len() > 5 { ", …" } else { "" };
        return Err(StepError::unexpected(format!(
            "{} images owned by {owners} match {described} ({}{more}) and source.most_recent \
             is false: narrow the filters, or set source.most_recent = true to take the newest",
            found.len(),
            ids.join(", ")
        )));
    }
    found.into_iter().next().ok_or_else(|| {
        let keys = if source.filters.is_empty() {
            "source.name, source.architecture"
        } else {
            "source.filters"
        };
        StepError::unexpected(format!(
            "no image owned by {owners} matches {described} (check {keys} and source.owners, \
             or set source.ami)"
        ))
    })
}
