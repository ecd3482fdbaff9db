//! Step 13: keep the newest `image.keep` images of this app (the new one
//! included) and remove the others. A failure here is reported but does not
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
            let (kept, removed) = prune::select(images, keep, new.as_deref());
            if !removed.is_empty() {
                line.note(&format!("removing {} image(s)", removed.len()));
            }
            let done = prune::remove(&ctx.aws.ec2, &removed).await?;
            Ok::<_, StepError>((kept.len(), done))
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
