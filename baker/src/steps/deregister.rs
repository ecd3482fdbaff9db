//! Step 10a: with `image.force_deregister`, deregister the image that holds
//! the new image's name (a re-run of the same build) just before the new
//! one is created, as Packer does; with `image.force_delete_snapshot`, its
//! snapshots go too. Nothing to do otherwise.

use async_trait::async_trait;

use super::{BuildState, Ctx, NewImage, Step};
use crate::ec2::images::{SnapshotRelease, baked_snapshots, delete_image};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct DeregisterOld;

#[async_trait]
impl Step for DeregisterOld {
    fn name(&self) -> &'static str {
        "deregister old image"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let Some(old) = state.replaced.clone() else {
            return Ok("nothing to replace".into());
        };
        deregister_replaced(&ctx.aws.ec2, &old, ctx, line).await
    }
}

/// Deregisters `old` (already gone is fine) and, with
/// `image.force_delete_snapshot`, deletes its snapshots; says what it did.
pub async fn deregister_replaced(
    ec2: &aws_sdk_ec2::Client,
    old: &NewImage,
    ctx: &Ctx,
    line: &StepLine,
) -> Result<String, StepError> {
    line.note(&format!("deregistering {}", old.id));
    // Only the snapshots an earlier build made: never one it referred to.
    let snapshots = if ctx.spec.config.image.force_delete_snapshot {
        baked_snapshots(ec2, &old.snapshots).await?
    } else {
        Vec::new()
    };
    let release = SnapshotRelease::new(&ctx.spec.config.wait, ctx.stop());
    delete_image(ec2, &old.id, &snapshots, release).await?;
    if !ctx.spec.config.image.force_delete_snapshot {
        // Kept as asked: marked, so that prune does not sweep them as
        // orphans.
        let kept = baked_snapshots(ec2, &old.snapshots).await?;
        crate::prune::orphans::mark_kept(ec2, &kept, &old.id).await?;
    }
    if snapshots.is_empty() {
        return Ok(format!("deregistered {}", old.id));
    }
    Ok(format!(
        "deregistered {} and deleted {}",
        old.id,
        snapshots.join(", ")
    ))
}
