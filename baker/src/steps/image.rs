//! Step 10: create the image from the stopped builder (a spot builder:
//! the running one, which CreateImage reboots), wait until it is
//! available, then tag its snapshots too (a snapshot tag specification on
//! CreateImage is not accepted everywhere; CreateTags afterwards is, with
//! `image.snapshot_tags`) and set `image.imds_support`.
//! Unless the image got that far (available and tagged), the cleanup
//! deregisters it and deletes its snapshots.

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use roundrobin_aws::tags::tag_specification;
use roundrobin_aws::wait;

use super::{BuildState, Ctx, NewImage, Outcome, Step, image_finish};
use crate::ec2::images::{is_available, owned_image_named};
use crate::ec2::{
    SnapshotRelease, backoff, delete_image, describe_image, snapshots_made, wait_error,
};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct CreateImage;

#[async_trait]
impl Step for CreateImage {
    fn name(&self) -> &'static str {
        "create image"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let instance = state.builder()?;
        let source = state.source.clone().unwrap_or_default();
        let spec = &ctx.spec;
        let tags = spec.image_tags(&source.id);
        let ec2 = &ctx.aws.ec2;
        let out = ec2
            .create_image()
            .instance_id(&instance)
            .name(&spec.image_name)
            .description(format!(
                "{} build {} (commit {}) baked by baker from {}",
                spec.config.app.name, spec.info.build, spec.info.commit, source.id
            ))
            .set_tag_specifications(tag_specification(ResourceType::Image, &tags).map(|t| vec![t]))
            // AWS's default, said out loud: a running (spot) builder is
            // rebooted so that its file systems are consistent.
            .no_reboot(false)
            // Packer's ami_block_device_mappings.
            .set_block_device_mappings(crate::ec2::block_devices::ami_mappings(&spec.config))
            .send()
            .await
            .map_err(StepError::aws("CreateImage"))?;
        let id = out
            .image_id()
            .ok_or_else(|| StepError::unexpected("CreateImage returned no image id"))?
            .to_string();
        // Recorded before waiting: from here on, a failure removes it.
        state.image = Some(NewImage {
            id: id.clone(),
            snapshots: Vec::new(),
        });

        line.note(&format!("waiting for {id} to be available"));
        let wait_config = &spec.config.wait;
        let result = wait::until(
            backoff(wait_config, wait_config.image_available),
            ctx.stop(),
            || async {
                let Some(image) = describe_image(ec2, &id).await? else {
                    return Ok(None);
                };
                Ok(is_available(&image, &format!("image {id}"))?.then_some(image))
            },
        )
        .await;
        let image =
            result.map_err(|e| wait_error(e, format!("image {id} to be available"), None))?;
        let snapshots = snapshots_made(&image, &spec.config);
        if let Some(recorded) = state.image.as_mut() {
            recorded.snapshots.clone_from(&snapshots);
        }

        line.note("tagging the image and its snapshots");
        image_finish::tag(ec2, spec, &source.id, &id, &snapshots).await?;
        let imds = if image_finish::imds_support(ec2, spec, &id).await? {
            ", IMDSv2 only"
        } else {
            ""
        };
        state.image_ready = true;
        Ok(format!(
            "{id} ({}), snapshots {}{imds}",
            spec.image_name,
            snapshots.join(", ")
        ))
    }

    async fn cleanup(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        // A complete image is the build's product: a later failure (or a
        // signal) does not take it away.
        if outcome == Outcome::Success || state.image_ready {
            return Ok(None);
        }
        let ec2 = &ctx.aws.ec2;
        let mut image = match state.image.clone() {
            Some(image) => image,
            // A CreateImage whose answer never came: find the image by name.
            None => match owned_image_named(ec2, &ctx.spec.image_name).await? {
                Some(found) => NewImage {
                    id: found.image_id().unwrap_or_default().to_string(),
                    snapshots: Vec::new(),
                },
                None => return Ok(None),
            },
        };
        if let Some(described) = describe_image(ec2, &image.id).await? {
            for snapshot in snapshots_made(&described, &ctx.spec.config) {
                if !image.snapshots.contains(&snapshot) {
                    image.snapshots.push(snapshot);
                }
            }
        }
        let release = SnapshotRelease::new(&ctx.spec.config.wait, ctx.cleanup_stop());
        delete_image(ec2, &image.id, &image.snapshots, release).await?;
        state.image = None;
        let snapshots = if image.snapshots.is_empty() {
            String::new()
        } else {
            format!(" and deleted {}", image.snapshots.join(", "))
        };
        Ok(Some(format!("deregistered {}{snapshots}", image.id)))
    }
}
