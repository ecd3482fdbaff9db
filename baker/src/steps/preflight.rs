//! Step 2: fail before creating anything when the image name is taken (AWS
//! would reject it only after the builder was provisioned), unless
//! `image.force_deregister` asks to replace that image (see [`super::deregister`]).

use async_trait::async_trait;

use super::{BuildState, Ctx, NewImage, Step};
use crate::ec2::images::owned_image_named;
use crate::ec2::snapshots_of;
use crate::error::StepError;
use crate::progress::StepLine;

pub struct CheckImageName;

#[async_trait]
impl Step for CheckImageName {
    fn name(&self) -> &'static str {
        "check image name"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _line: &StepLine,
    ) -> Result<String, StepError> {
        let name = &ctx.spec.image_name;
        let Some(existing) = owned_image_named(&ctx.aws.ec2, name).await? else {
            return Ok(format!("{name} is free"));
        };
        let id = existing.image_id().unwrap_or_default().to_string();
        let image = &ctx.spec.config.image;
        if !image.force_deregister {
            return Err(StepError::unexpected(format!(
                "an image named {name:?} already exists ({id}): to replace it (a re-run of the same \
                 build), set image.force_deregister = true (--force-deregister, \
                 BAKER_FORCE_DEREGISTER=true), and image.force_delete_snapshot to delete its \
                 snapshots too; or give the build a new name (build number, commit or \
                 image.name_template)"
            )));
        }
        state.replaced = Some(NewImage {
            id: id.clone(),
            snapshots: snapshots_of(&existing),
        });
        Ok(format!(
            "{name} is taken by {id}: it is replaced just before the new image is created (image.force_deregister)"
        ))
    }
}
