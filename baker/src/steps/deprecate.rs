//! Step 11b: with `image.deprecate_at` (Packer's key), schedule the new
//! image's deprecation (EnableImageDeprecation; AWS rounds the time to the
//! minute). Nothing to do otherwise. Regional copies are deprecated the
//! same way ([`deprecate`]). The image is complete by now: a failure here
//! keeps it (and exits with 3).

use async_trait::async_trait;
use aws_smithy_types::DateTime;

use super::{BuildState, Ctx, Step};
use crate::config::deprecation;
use crate::error::StepError;
use crate::progress::StepLine;

pub struct DeprecateImage;

/// The configured deprecation time; `None`: the image is not deprecated.
pub fn deprecation_time(ctx: &Ctx) -> Result<Option<DateTime>, StepError> {
    deprecation::parse(&ctx.spec.config.image.deprecate_at)
        .map_err(|e| StepError::unexpected(format!("image.deprecate_at: {e}")))
}

/// Schedules the deprecation of image `id` (in the region of `ec2`) at `at`.
pub async fn deprecate(ec2: &aws_sdk_ec2::Client, id: &str, at: DateTime) -> Result<(), StepError> {
    ec2.enable_image_deprecation()
        .image_id(id)
        .deprecate_at(at)
        .send()
        .await
        .map_err(StepError::aws("EnableImageDeprecation"))?;
    Ok(())
}

#[async_trait]
impl Step for DeprecateImage {
    fn name(&self) -> &'static str {
        "deprecate image"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let Some(at) = deprecation_time(ctx)? else {
            return Ok("no deprecation time".into());
        };
        let image = state
            .image
            .clone()
            .ok_or_else(|| StepError::unexpected("no image was created"))?;
        line.note("EnableImageDeprecation");
        deprecate(&ctx.aws.ec2, &image.id, at).await?;
        Ok(format!(
            "{} deprecated at {}",
            image.id,
            ctx.spec.config.image.deprecate_at.trim()
        ))
    }
}
