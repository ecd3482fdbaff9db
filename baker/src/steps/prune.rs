//! Step 13: keep the newest `image.keep` images of this app (the new one
//! included) and remove the older others, in the build region and in each
//! region the image was copied to (`image.ami_regions`), where the copy just
//! made is the protected one. Pending images, images in use (launch
//! templates, autoscaling groups, instances) and images newer than this
//! build's are left alone; the app's orphaned snapshots are deleted. A failure here is
//! reported but does not fail the build: the image is good, and the next
//! build prunes again.

use async_trait::async_trait;

use super::{BuildState, Ctx, Step};
use crate::ec2::SnapshotRelease;
use crate::error::StepError;
use crate::progress::StepLine;
use crate::prune;

pub struct Prune;

#[async_trait]
impl Step for Prune {
    fn name(&self) -> &'static str {
        "prune old images"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let mut regions = vec![(
            ctx.aws.region.clone(),
            (ctx.aws.ec2.clone(), ctx.aws.autoscaling.clone()),
            state.image.as_ref().map(|i| i.id.clone()),
        )];
        for copy in &state.copies {
            regions.push((
                copy.region.clone(),
                (
                    ctx.aws.ec2_in(&copy.region),
                    ctx.aws.autoscaling_in(&copy.region),
                ),
                copy.id.clone(),
            ));
        }
        let several = regions.len() > 1;
        let mut summaries = Vec::new();
        for (region, clients, protect) in regions {
            let at = if several {
                format!("{region}: ")
            } else {
                String::new()
            };
            match prune_region(ctx, &clients, protect.as_deref(), line, &at).await {
                Ok((kept, done)) => {
                    summaries.push(if done.is_empty() {
                        format!("{at}{kept} image(s) kept, nothing to remove")
                    } else {
                        format!("{at}{kept} image(s) kept, removed {}", done.join(", "))
                    });
                    if region == ctx.aws.region {
                        state.pruned = done;
                    } else if !done.is_empty() {
                        state.pruned_copies.insert(region, done);
                    }
                }
                Err(e) => {
                    ctx.progress.info(&format!(
                        "warning: pruning old images in {region} failed: {e} (the next build prunes again)"
                    ));
                    summaries.push(format!("{at}skipped after an error"));
                }
            }
        }
        Ok(summaries.join("; "))
    }
}

/// One region's prune; the number of images kept (or left alone) and the
/// ids removed.
async fn prune_region(
    ctx: &Ctx,
    (ec2, autoscaling): &(aws_sdk_ec2::Client, aws_sdk_autoscaling::Client),
    protect: Option<&str>,
    line: &StepLine,
    at: &str,
) -> Result<(usize, Vec<String>), StepError> {
    let keep = ctx.spec.config.image.keep as usize;
    let app = &ctx.spec.config.app.name;
    let selection = prune::plan(ec2, autoscaling, app, keep, protect).await?;
    for (image, reason) in &selection.skipped {
        ctx.progress.info(&format!(
            "  {at}left alone {} ({}): {reason}",
            image.id, image.name
        ));
    }
    if !selection.removed.is_empty() {
        line.note(&format!(
            "{at}removing {} image(s)",
            selection.removed.len()
        ));
    }
    let release = SnapshotRelease::new(&ctx.spec.config.wait, ctx.stop());
    let done = prune::remove(ec2, &selection.removed, release).await?;
    let swept = prune::orphans::sweep(ec2, &selection.orphaned_snapshots).await?;
    if !swept.is_empty() {
        ctx.progress.info(&format!(
            "  {at}deleted orphaned snapshots (no image uses them): {}",
            swept.join(", ")
        ));
    }
    Ok((selection.kept.len() + selection.skipped.len(), done))
}
