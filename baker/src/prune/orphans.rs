//! Snapshots of ours that no image uses any more: left by an earlier build
//! that failed between CreateImage and its cleanup, or by a DeleteSnapshot
//! that gave up while AWS still held the snapshot. A snapshot is swept only
//! when all of these hold:
//! - this account owns it and it carries `baked-by = baker` and
//!   `app = <app>` (as each build tags its image's snapshots);
//! - it is complete (a pending one may be an image being made right now);
//! - no image of this account maps it, in any state;
//! - the image its description names (`Created by CreateImage(i-…) for
//!   ami-… from vol-…`, `Copied for DestinationAmi ami-…`), if any, does not
//!   exist any more;
//! - it does not carry the [`KEPT_TAG`] a re-run with
//!   `image.force_deregister` but not `image.force_delete_snapshot` puts on
//!   the replaced image's snapshots, which the user asked to keep.

use std::collections::BTreeSet;

use roundrobin_aws::AwsErrorDetail;

use crate::ec2::{filter, snapshots_of};
use crate::error::StepError;

/// The tag on snapshots kept on purpose; prune never sweeps them.
pub const KEPT_TAG: &str = "baker:kept";

/// Tags `snapshots` of the replaced image `image` with [`KEPT_TAG`].
pub async fn mark_kept(
    ec2: &aws_sdk_ec2::Client,
    snapshots: &[String],
    image: &str,
) -> Result<(), StepError> {
    if snapshots.is_empty() {
        return Ok(());
    }
    let why = format!(
        "snapshot of replaced image {image}, kept as image.force_delete_snapshot = false asks"
    );
    ec2.create_tags()
        .set_resources(Some(snapshots.to_vec()))
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(KEPT_TAG)
                .value(why)
                .build(),
        )
        .send()
        .await
        .map_err(StepError::aws("CreateTags"))?;
    Ok(())
}

/// The app's orphaned snapshots in the region `ec2` speaks to.
pub async fn find(ec2: &aws_sdk_ec2::Client, app: &str) -> Result<Vec<String>, StepError> {
    let mut candidates = Vec::new();
    let mut pages = ec2
        .describe_snapshots()
        .owner_ids("self")
        .filters(filter("tag:baked-by", &[crate::BAKED_BY]))
        .filters(filter("tag:app", &[app]))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(StepError::aws("DescribeSnapshots"))?;
        for snapshot in page.snapshots() {
            let tags = roundrobin_aws::tags::from_ec2(snapshot.tags());
            // Checked here too: never trust a filter with a deletion.
            let ours = tags.get("baked-by").map(String::as_str) == Some(crate::BAKED_BY)
                && tags.get("app").map(String::as_str) == Some(app)
                && !tags.contains_key(KEPT_TAG);
            let complete = snapshot.state().is_some_and(|s| s.as_str() == "completed");
            if let (true, true, Some(id)) = (ours, complete, snapshot.snapshot_id()) {
                candidates.push((
                    id.to_string(),
                    snapshot.description().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let (images, mapped) = images_and_their_snapshots(ec2).await?;
    Ok(candidates
        .into_iter()
        .filter(|(id, description)| {
            !mapped.contains(id)
                && named_image(description).is_none_or(|image| !images.contains(image))
        })
        .map(|(id, _)| id)
        .collect())
}

/// Every image this account owns (any state, deprecated and disabled ones
/// too), and every snapshot they map.
async fn images_and_their_snapshots(
    ec2: &aws_sdk_ec2::Client,
) -> Result<(BTreeSet<String>, BTreeSet<String>), StepError> {
    let mut images = BTreeSet::new();
    let mut mapped = BTreeSet::new();
    let mut pages = ec2
        .describe_images()
        .owners("self")
        .include_deprecated(true)
        .include_disabled(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(StepError::aws("DescribeImages"))?;
        for image in page.images() {
            images.extend(image.image_id().map(str::to_string));
            mapped.extend(snapshots_of(image));
        }
    }
    Ok((images, mapped))
}

/// The first image id in a snapshot's description.
fn named_image(description: &str) -> Option<&str> {
    let start = description.find("ami-")?;
    let rest = &description[start..];
    let end = rest
        .char_indices()
        .skip(4)
        .find(|(_, c)| !c.is_ascii_hexdigit())
        .map_or(rest.len(), |(i, _)| i);
    (end > 4).then(|| &rest[..end])
}

/// Deletes `snapshots`; returns those deleted. One already gone counts as
/// deleted; one AWS still holds (`InvalidSnapshot.InUse`) is left for the
/// next prune, with a log line.
pub async fn sweep(
    ec2: &aws_sdk_ec2::Client,
    snapshots: &[String],
) -> Result<Vec<String>, StepError> {
    let mut deleted = Vec::new();
    for snapshot in snapshots {
        match ec2.delete_snapshot().snapshot_id(snapshot).send().await {
            Ok(_) => deleted.push(snapshot.clone()),
            Err(e) if e.code() == Some("InvalidSnapshot.NotFound") => {
                deleted.push(snapshot.clone());
            }
            Err(e) if e.code() == Some("InvalidSnapshot.InUse") => {
                tracing::warn!(
                    snapshot,
                    "orphaned snapshot still in use, left for the next prune: {}",
                    e.describe()
                );
            }
            Err(e) => return Err(StepError::aws("DeleteSnapshot")(e)),
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_a_description_names() {
        assert_eq!(
            named_image("Created by CreateImage(i-0abc) for ami-0123abcd from vol-09"),
            Some("ami-0123abcd")
        );
        assert_eq!(
            named_image("Copied for DestinationAmi ami-77 from SourceAmi ami-11"),
            Some("ami-77")
        );
        assert_eq!(named_image("my backup"), None);
        assert_eq!(named_image("ami-"), None);
    }
}
