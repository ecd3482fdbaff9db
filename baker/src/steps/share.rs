//! Step 11a: share the new image as `image.ami_users` / `image.ami_groups`
//! say (its launch permission) and its snapshots as `image.snapshot_users`
//! (their create-volume permission), as Packer's keys of the same names.
//! Nothing to do when none is set. The image is complete by now: a failure
//! here keeps it (and exits with 3). Regional copies are shared the same
//! way ([`share`]).

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    LaunchPermission, LaunchPermissionModifications, OperationType, PermissionGroup,
    SnapshotAttributeName,
};

use super::{BuildState, Ctx, NewImage, Step};
use crate::config::ImageConfig;
use crate::error::StepError;
use crate::progress::StepLine;

pub struct ShareImage;

#[async_trait]
impl Step for ShareImage {
    fn name(&self) -> &'static str {
        "share image"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let image = state
            .image
            .clone()
            .ok_or_else(|| StepError::unexpected("no image was created"))?;
        let done = share(&ctx.aws.ec2, &image, &ctx.spec.config.image, line).await?;
        if done.is_empty() {
            return Ok("not shared".into());
        }
        Ok(done.join("; "))
    }
}

/// Shares `image` (in the region of `ec2`) as `config` says; returns what
/// was done (nothing when no sharing key is set).
pub async fn share(
    ec2: &aws_sdk_ec2::Client,
    image: &NewImage,
    config: &ImageConfig,
    line: &StepLine,
) -> Result<Vec<String>, StepError> {
    let mut done = Vec::new();
    if !config.ami_users.is_empty() || !config.ami_groups.is_empty() {
        line.note("ModifyImageAttribute");
        let permissions = config
            .ami_users
            .iter()
            .map(|u| LaunchPermission::builder().user_id(u).build())
            .chain(config.ami_groups.iter().map(|g| {
                LaunchPermission::builder()
                    .group(PermissionGroup::from(g.as_str()))
                    .build()
            }))
            .collect();
        ec2.modify_image_attribute()
            .image_id(&image.id)
            .launch_permission(
                LaunchPermissionModifications::builder()
                    .set_add(Some(permissions))
                    .build(),
            )
            .send()
            .await
            .map_err(StepError::aws("ModifyImageAttribute"))?;
        done.push(format!(
            "{} launchable by {}",
            image.id,
            [config.ami_users.clone(), config.ami_groups.clone()]
                .concat()
                .join(", ")
        ));
    }
    if !config.snapshot_users.is_empty() {
        line.note("ModifySnapshotAttribute");
        // The attribute / operation form (documented alongside the
        // CreateVolumePermission one) is the one every endpoint knows.
        for snapshot in &image.snapshots {
            ec2.modify_snapshot_attribute()
                .snapshot_id(snapshot)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .operation_type(OperationType::Add)
                .set_user_ids(Some(config.snapshot_users.clone()))
                .send()
                .await
                .map_err(StepError::aws("ModifySnapshotAttribute"))?;
        }
        done.push(format!(
            "snapshots usable by {}",
            config.snapshot_users.join(", ")
        ));
    }
    Ok(done)
}
