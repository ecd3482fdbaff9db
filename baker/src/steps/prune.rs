//! Step 13: keep the newest `image.keep` images of this app (the new one
//! included) and remove the older others; pending images, images launch
//! templates use and images newer than this build's are left alone. A failure here is reported but does not
//! fail the build: the image is good, and the next build prunes again.

use async_trait::async_trait;

use super::{BuildState, Ctx, Step};
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
        let keep = ctx.spec.config.image.keep as usize;
        let new = state.image.as_ref().map(|i| i.id.clone());
        let result = async {
            let images = prune::list(&ctx.aws.ec2, &ctx.spec.config.app.name).await?;
            let in_use = prune::in_use::images_in_use(&ctx.aws.ec2).await?;
            let selection = prune::select(images, keep, new.as_deref(), &in_use);
            for (image, reason) in &selection.skipped {
                ctx.progress.info(&format!(
                    "  left alone {} ({}): {reason}",
                    image.id, image.name
                ));
            }
            if !selection.removed.is_empty() {
                line.note(&format!("removing {} image(s)", selection.removed.len()));
            }
            let done = prune::remove(&ctx.aws.ec2, &selection.removed).await?;
            Ok::<_, StepError>((selection.kept.len() + selection.skipped.len(), done))
        }
        .await;
        match result {
            Ok((kept, done)) => {
                let summary = if done.is_empty() {
                    format!("{kept} image(s) kept, nothing to remove")
                } else {
                    format!("{kept} image(s) kept, removed {}", done.join(", "))
                };
                state.pruned = done;
                Ok(summary)
            }
            Err(e) => {
                ctx.progress.info(&format!(
                    "warning: pruning old images failed: {e} (the next build prunes again)"
                ));
                Ok("skipped after an error".into())
            }
        }
    }
}
