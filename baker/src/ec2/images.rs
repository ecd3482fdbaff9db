//! Images: describing one, and removing one with its snapshots. Baker
//! deletes only snapshots it made: those CreateImage (or CopyImage) made
//! for its images, never one an `image.ami_block_device_mappings` entry
//! names, which the image only refers to and which stays the user's.

use std::sync::Mutex;

use aws_sdk_ec2::types::{Image, ImageState};
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::wait::{self, Backoff, WaitError};
use tokio_util::sync::CancellationToken;

use super::{backoff, filter};
use crate::config::{Config, WaitConfig};
use crate::error::StepError;

/// The bounded wait for snapshots that a deregistered image still holds.
#[derive(Clone, Copy)]
pub struct SnapshotRelease<'a> {
    pub backoff: Backoff,
    pub stop: &'a CancellationToken,
}

impl<'a> SnapshotRelease<'a> {
    /// `wait.snapshot_released` with the configured polling: AWS releases
    /// a deregistered image's snapshots a while after the image (EC2 user
    /// guide, "Deregister your AMI"). `stop` ends the wait early (what is
    /// left is reported the same way).
    pub fn new(config: &WaitConfig, stop: &'a CancellationToken) -> Self {
        Self {
            backoff: backoff(config, config.snapshot_released),
            stop,
        }
    }
}

/// The image this account owns that is named `name`, if any.
pub async fn owned_image_named(
    ec2: &aws_sdk_ec2::Client,
    name: &str,
) -> Result<Option<Image>, StepError> {
    let out = ec2
        .describe_images()
        .owners("self")
        .filters(filter("name", &[name]))
        .send()
        .await
        .map_err(StepError::aws("DescribeImages"))?;
    Ok(out
        .images()
        .iter()
        .find(|i| i.name() == Some(name))
        .cloned())
}

/// Whether a new image is ready: `true` once available, `false` while
/// pending; an image that failed is an error naming `what` and AWS's reason.
pub fn is_available(image: &Image, what: &str) -> Result<bool, StepError> {
    match image.state() {
        Some(ImageState::Available) => Ok(true),
        Some(ImageState::Pending) | None => Ok(false),
        Some(other) => Err(StepError::unexpected(format!(
            "{what} is {}: {}",
            other.as_str(),
            image
                .state_reason()
                .and_then(|r| r.message())
                .unwrap_or("no reason given")
        ))),
    }
}

/// The EBS snapshots behind an image.
pub fn snapshots_of(image: &Image) -> Vec<String> {
    image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
        .collect()
}

/// The snapshots behind this build's image that its CreateImage made: all
/// but those `image.ami_block_device_mappings` names (the user's).
pub fn snapshots_made(image: &Image, config: &Config) -> Vec<String> {
    let named: Vec<&str> = config
        .image
        .ami_block_device_mappings
        .iter()
        .map(|d| d.snapshot_id.trim())
        .filter(|id| !id.is_empty())
        .collect();
    snapshots_of(image)
        .into_iter()
        .filter(|s| !named.contains(&s.as_str()))
        .collect()
}

/// Of `snapshots` (of an earlier build's image), those baker made: the ones
/// tagged `baked-by = baker`, as each build tags its image's snapshots. A
/// snapshot already gone, or somebody else's, is left out. One
/// DescribeSnapshots call per 100 ids, none for an empty list.
pub async fn baked_snapshots(
    ec2: &aws_sdk_ec2::Client,
    snapshots: &[String],
) -> Result<Vec<String>, StepError> {
    let mut baked = Vec::new();
    for chunk in snapshots.chunks(100) {
        let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let mut pages = ec2
            .describe_snapshots()
            .owner_ids("self")
            .filters(filter("snapshot-id", &ids))
            .filters(filter("tag:baked-by", &[crate::BAKED_BY]))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(StepError::aws("DescribeSnapshots"))?;
            baked.extend(
                page.snapshots()
                    .iter()
                    .filter_map(|s| s.snapshot_id().map(str::to_string)),
            );
        }
    }
    // In the order given, each once.
    Ok(snapshots
        .iter()
        .filter(|s| baked.contains(s))
        .cloned()
        .collect())
}

/// Describes one image; `None` when it does not exist (any more, or not
/// yet: a new image may be unknown for a moment).
pub async fn describe_image(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<Image>, StepError> {
    match ec2.describe_images().image_ids(id).send().await {
        Ok(out) => Ok(out
            .images()
            .iter()
            .find(|i| i.image_id() == Some(id))
            .cloned()),
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(StepError::aws("DescribeImages")(e)),
    }
}

/// Deregisters an image, then deletes its snapshots; what is already gone
/// is not an error.
pub async fn delete_image(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    snapshots: &[String],
    release: SnapshotRelease<'_>,
) -> Result<(), StepError> {
    match ec2.deregister_image().image_id(id).send().await {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
            ) => {}
        Err(e) => return Err(StepError::aws("DeregisterImage")(e)),
    }
    delete_snapshots(ec2, id, snapshots, release).await
}

/// Deletes the snapshots of the deregistered image `image`; one that is
/// already gone is not an error. While AWS still holds one for the image
/// (`InvalidSnapshot.InUse`), it is tried again within `release`; what is
/// left then is an error naming each snapshot and the command that removes
/// it later.
pub async fn delete_snapshots(
    ec2: &aws_sdk_ec2::Client,
    image: &str,
    snapshots: &[String],
    release: SnapshotRelease<'_>,
) -> Result<(), StepError> {
    let left = Mutex::new(snapshots.to_vec());
    let result = wait::until(release.backoff, release.stop, || async {
        let pending: Vec<String> = left.lock().map(|l| l.clone()).unwrap_or_default();
        let mut still = Vec::new();
        for snapshot in pending {
            match ec2.delete_snapshot().snapshot_id(&snapshot).send().await {
                Ok(_) => {}
                Err(e) if e.code() == Some("InvalidSnapshot.NotFound") => {}
                Err(e) if e.code() == Some("InvalidSnapshot.InUse") => {
                    tracing::debug!(snapshot, image, "snapshot still in use: {}", e.describe());
                    still.push(snapshot);
                }
                Err(e) => return Err(StepError::aws("DeleteSnapshot")(e)),
            }
        }
        let done = still.is_empty();
        if let Ok(mut l) = left.lock() {
            *l = still;
        }
        Ok(done.then_some(()))
    })
    .await;
    let reason = match result {
        Ok(()) => return Ok(()),
        Err(WaitError::Failed(e)) => e,
        Err(WaitError::Stopped) => StepError::Interrupted,
        Err(WaitError::TimedOut(waited)) => StepError::TimedOut {
            what: format!("AWS to release the snapshots of deregistered image {image}"),
            waited,
            hint: None,
        },
    };
    let left = left.into_inner().unwrap_or_default();
    if left.is_empty() {
        return Err(reason);
    }
    Err(StepError::Left {
        reason: Box::new(StepError::Unexpected(format!(
            "{reason}; remove them later with: {}",
            removal_commands(ec2, &left)
        ))),
        left,
    })
}

/// The AWS CLI commands that delete `snapshots`, for a message.
pub fn removal_commands(ec2: &aws_sdk_ec2::Client, snapshots: &[String]) -> String {
    let region = ec2
        .config()
        .region()
        .map(|r| format!(" --region {r}"))
        .unwrap_or_default();
    snapshots
        .iter()
        .map(|s| format!("aws ec2 delete-snapshot{region} --snapshot-id {s}"))
        .collect::<Vec<_>>()
        .join("; ")
}
