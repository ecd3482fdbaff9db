//! Step 2a: with `image.ami_regions`, check before creating anything what
//! would otherwise only fail once the image exists: every copy region is
//! enabled for the account (DescribeRegions), no image there holds the new
//! name (with `image.force_deregister`, one that does is noted, to be
//! replaced just before the copies start), and shared snapshots (`image.snapshot_users` with
//! `image.encrypt_boot`) have a customer managed key in each copy region.

use async_trait::async_trait;

use super::{BuildState, Ctx, NewImage, Step};
use crate::config::image_regions::{copy_regions, unshareable, unshareable_problem};
use crate::ec2::images::owned_image_named;
use crate::ec2::snapshots_of;
use crate::error::StepError;
use crate::progress::StepLine;

pub struct CheckCopyRegions;

#[async_trait]
impl Step for CheckCopyRegions {
    fn name(&self) -> &'static str {
        "check copy regions"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let config = &ctx.spec.config;
        let regions = copy_regions(config, &ctx.aws.region);
        if regions.is_empty() {
            return Ok("no other region".into());
        }
        if let Some(region) = unshareable(config, &ctx.aws.region).first() {
            return Err(StepError::unexpected(
                unshareable_problem(region).to_string(),
            ));
        }
        line.note("DescribeRegions");
        let out = ctx
            .aws
            .ec2
            .describe_regions()
            .send()
            .await
            .map_err(StepError::aws("DescribeRegions"))?;
        let enabled: Vec<&str> = out
            .regions()
            .iter()
            .filter_map(|r| r.region_name())
            .collect();
        if let Some(region) = regions.iter().find(|r| !enabled.contains(&r.as_str())) {
            return Err(StepError::unexpected(format!(
                "image.ami_regions: {region} is not a region enabled for this account \
                 (enabled: {})",
                enabled.join(", ")
            )));
        }
        let name = &ctx.spec.image_name;
        for region in &regions {
            let Some(taken) = owned_image_named(&ctx.aws.ec2_in(region), name).await? else {
                continue;
            };
            let id = taken.image_id().unwrap_or("unknown id");
            if !config.image.force_deregister {
                return Err(StepError::unexpected(format!(
                    "an image named {name} already exists in {region} ({id}): to replace it \
                     (a re-run of the same build), set image.force_deregister = true \
                     (--force-deregister, BAKER_FORCE_DEREGISTER=true)"
                )));
            }
            line.note(&format!(
                "{id} in {region} is replaced (image.force_deregister)"
            ));
            state.replaced_copies.push((
                region.clone(),
                NewImage {
                    id: id.to_string(),
                    snapshots: snapshots_of(&taken),
                },
            ));
        }
        Ok(regions.join(", "))
    }
}
