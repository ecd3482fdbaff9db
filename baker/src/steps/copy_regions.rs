//! Step 13a: copy the image to each region of `image.ami_regions` (Packer's
//! `ami_regions`). Every CopyImage is started first (each copy recorded
//! before it is waited on), then each copy is waited for until available
//! (`wait.image_available`; a NotFound right after CopyImage means "not
//! yet"), tagged with the image's tags (snapshots too), shared and
//! deprecated as the image is. With `image.encrypt_boot` each copy is
//! encrypted, with the region's key from `image.region_kms_key_ids` or its
//! default EBS key.
//!
//! Unless every copy got that far, the cleanup deregisters each copy this
//! build started and deletes its snapshots (a pending copy is stopped that
//! way); the image in the build region follows its own rule.

use std::time::Duration;

use async_trait::async_trait;
use roundrobin_aws::wait;
use tokio::time::Instant;

use super::deprecate::{deprecate, deprecation_time};
use super::deregister::deregister_replaced;
use super::share::share;
use super::{BuildState, Ctx, NewImage, Outcome, Step};
use crate::config::image_regions::{copy_regions, kms_key};
use crate::ec2::images::{is_available, owned_image_named};
use crate::ec2::{
    SnapshotRelease, backoff, delete_image, describe_image, snapshots_of, wait_error,
};
use crate::error::StepError;
use crate::progress::StepLine;

/// How long a new copy may be unknown to DescribeImages before baker
/// believes it is gone.
const NOT_FOUND_GRACE: Duration = Duration::from_secs(120);

/// A copy of the image in another region.
#[derive(Debug, Clone, Default)]
pub struct ImageCopy {
    pub region: String,
    /// `None` until CopyImage answers.
    pub id: Option<String>,
    pub snapshots: Vec<String>,
}

pub struct CopyToRegions;

#[async_trait]
impl Step for CopyToRegions {
    fn name(&self) -> &'static str {
        "copy to regions"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let regions = copy_regions(&ctx.spec.config, &ctx.aws.region);
        if regions.is_empty() {
            return Ok("no other region".into());
        }
        let image = state
            .image
            .clone()
            .ok_or_else(|| StepError::unexpected("no image was created"))?;
        for (region, old) in state.replaced_copies.clone() {
            deregister_replaced(&ctx.aws.ec2_in(&region), &old, ctx, line).await?;
        }
        for region in &regions {
            if ctx.stop().is_cancelled() {
                return Err(StepError::Interrupted);
            }
            line.note(&format!("CopyImage to {region}"));
            state.copies.push(ImageCopy {
                region: region.clone(),
                ..ImageCopy::default()
            });
            let id = start_copy(ctx, &image.id, region).await?;
            if let Some(copy) = state.copies.last_mut() {
                copy.id = Some(id);
            }
        }
        let source = state.source.clone().unwrap_or_default();
        let at = deprecation_time(ctx)?;
        let mut done = Vec::new();
        for index in 0..state.copies.len() {
            let ImageCopy { region, id, .. } = state.copies[index].clone();
            let id = id.ok_or_else(|| StepError::unexpected("a copy without an id"))?;
            let ec2 = ctx.aws.ec2_in(&region);
            line.note(&format!("waiting for {id} in {region} to be available"));
            let snapshots = wait_available(ctx, &ec2, &id, &region).await?;
            state.copies[index].snapshots.clone_from(&snapshots);

            line.note(&format!("tagging {id} in {region} and its snapshots"));
            super::image_finish::tag(&ec2, &ctx.spec, &source.id, &id, &snapshots).await?;
            super::image_finish::imds_support(&ec2, &ctx.spec, &id).await?;
            let copy = NewImage {
                id: id.clone(),
                snapshots,
            };
            share(&ec2, &copy, &ctx.spec.config.image, line).await?;
            if let Some(at) = at {
                deprecate(&ec2, &id, at).await?;
            }
            done.push(format!("{region}:{id}"));
        }
        state.copies_ready = true;
        Ok(done.join(", "))
    }

    async fn cleanup(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        if outcome == Outcome::Success || state.copies_ready || state.copies.is_empty() {
            return Ok(None);
        }
        let mut removed = Vec::new();
        let mut left = Vec::new();
        let mut first_error = None;
        for copy in std::mem::take(&mut state.copies) {
            match remove_copy(ctx, &copy).await {
                Ok(Some(what)) => removed.push(what),
                Ok(None) => {}
                Err(e) => {
                    left.push(format!(
                        "image copy {} in {}",
                        copy.id.as_deref().unwrap_or("(unknown id)"),
                        copy.region
                    ));
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(reason) = first_error {
            return Err(StepError::Left {
                left,
                reason: Box::new(reason),
            });
        }
        Ok((!removed.is_empty()).then(|| removed.join("; ")))
    }
}

/// Starts the copy into `region`; returns the new image id.
async fn start_copy(ctx: &Ctx, source_id: &str, region: &str) -> Result<String, StepError> {
    let spec = &ctx.spec;
    let config = &spec.config;
    let encrypt = config.image.encrypt_boot;
    let out = ctx
        .aws
        .ec2_in(region)
        .copy_image()
        .source_image_id(source_id)
        .source_region(&ctx.aws.region)
        .name(&spec.image_name)
        .description(format!(
            "{} build {} (commit {}) baked by baker, copied from {}:{source_id}",
            config.app.name, spec.info.build, spec.info.commit, ctx.aws.region
        ))
        // Retries of this call make no second copy.
        .client_token(format!("baker-{}-{region}", spec.build_id))
        .set_encrypted(encrypt.then_some(true))
        .set_kms_key_id(
            kms_key(config, region)
                .filter(|_| encrypt)
                .map(str::to_string),
        )
        .send()
        .await
        .map_err(StepError::aws("CopyImage"))?;
    out.image_id()
        .map(str::to_string)
        .ok_or_else(|| StepError::unexpected("CopyImage returned no image id"))
}

/// Waits until the copy is available; returns its snapshots.
async fn wait_available(
    ctx: &Ctx,
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    region: &str,
) -> Result<Vec<String>, StepError> {
    let wait_config = &ctx.spec.config.wait;
    let limits = backoff(wait_config, wait_config.image_available);
    let grace = NOT_FOUND_GRACE.min(limits.timeout);
    let started = Instant::now();
    let result = wait::until(limits, ctx.stop(), || async {
        let Some(image) = describe_image(ec2, id).await? else {
            if started.elapsed() < grace {
                return Ok(None);
            }
            return Err(StepError::unexpected(format!(
                "image {id} in {region} does not exist: DescribeImages answered \
                 InvalidAMIID.NotFound for {}",
                humantime::format_duration(grace)
            )));
        };
        let ready = is_available(&image, &format!("image {id} in {region}"))?;
        Ok(ready.then(|| snapshots_of(&image)))
    })
    .await;
    result.map_err(|e| wait_error(e, format!("image {id} in {region} to be available"), None))
}

/// Deregisters one copy and deletes its snapshots; a copy whose CopyImage
/// never answered is looked up by name. Returns what was removed.
async fn remove_copy(ctx: &Ctx, copy: &ImageCopy) -> Result<Option<String>, StepError> {
    let ec2 = ctx.aws.ec2_in(&copy.region);
    let id = match &copy.id {
        Some(id) => id.clone(),
        None => match owned_image_named(&ec2, &ctx.spec.image_name).await? {
            Some(image) => image.image_id().unwrap_or_default().to_string(),
            None => return Ok(None),
        },
    };
    let mut snapshots = copy.snapshots.clone();
    if let Some(described) = describe_image(&ec2, &id).await? {
        for snapshot in snapshots_of(&described) {
            if !snapshots.contains(&snapshot) {
                snapshots.push(snapshot);
            }
        }
    }
    let release = SnapshotRelease::new(&ctx.spec.config.wait, ctx.cleanup_stop());
    delete_image(&ec2, &id, &snapshots, release).await?;
    let deleted = if snapshots.is_empty() {
        String::new()
    } else {
        format!(" and deleted {}", snapshots.join(", "))
    };
    Ok(Some(format!(
        "deregistered {id} in {}{deleted}",
        copy.region
    )))
}
