//! Keeping the newest `keep` images of an app and removing the others
//! (deregister, then delete their snapshots). Only images owned by this
//! account that carry both `app = <app>` and `baked-by = baker` are ever
//! considered; a pending image, one something still uses ([`in_use`]: a
//! launch template's default or latest version, an autoscaling group's
//! version, an instance, running or stopped), and — after a build — one not
//! older than the image just made (another build's, running at the same
//! time) are left alone and reported. The app's snapshots that no image
//! uses any more ([`orphans`]) are deleted too. Each region is pruned on its
//! own: the build region, and each region of `image.ami_regions`, where the
//! copies live.

pub mod in_use;
pub mod orphans;

use std::cmp::Ordering;

use roundrobin_aws::tags::from_ec2;

use crate::ec2::{SnapshotRelease, baked_snapshots, delete_image, filter, snapshots_of};
use crate::error::StepError;

/// One of the app's images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    /// ISO 8601, as AWS gives it.
    pub created: String,
    pub build: String,
    pub snapshots: Vec<String>,
    /// `available`, `pending`, …
    pub state: String,
}

/// The app's images that baker made.
pub async fn list(ec2: &aws_sdk_ec2::Client, app: &str) -> Result<Vec<Candidate>, StepError> {
    let mut pages = ec2
        .describe_images()
        .owners("self")
        .filters(filter("tag:app", &[app]))
        .filters(filter("tag:baked-by", &[crate::BAKED_BY]))
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(StepError::aws("DescribeImages"))?;
        for image in page.images() {
            let tags = from_ec2(image.tags());
            // Checked here too: never trust a filter with a deletion.
            if tags.get("app").map(String::as_str) != Some(app)
                || tags.get("baked-by").map(String::as_str) != Some(crate::BAKED_BY)
            {
                continue;
            }
            let Some(id) = image.image_id() else { continue };
            out.push(Candidate {
                id: id.to_string(),
                name: image.name().unwrap_or_default().to_string(),
                created: image.creation_date().unwrap_or_default().to_string(),
                build: tags.get("build").cloned().unwrap_or_default(),
                snapshots: snapshots_of(image),
                state: image
                    .state()
                    .map_or_else(|| "unknown".to_string(), |s| s.as_str().to_string()),
            });
        }
    }
    Ok(out)
}

/// Newest first: by creation time, then by build number (images made within
/// the same second), then by name.
fn newest_first(a: &Candidate, b: &Candidate) -> Ordering {
    let build = |c: &Candidate| c.build.parse::<u64>().ok();
    b.created
        .cmp(&a.created)
        .then_with(|| build(b).cmp(&build(a)))
        .then_with(|| b.name.cmp(&a.name))
}

/// What prune decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The newest `keep` (the protected image first among equals).
    pub kept: Vec<Candidate>,
    pub removed: Vec<Candidate>,
    /// Left alone whatever `keep` says, with the reason.
    pub skipped: Vec<(Candidate, String)>,
    /// The app's snapshots that no image uses ([`orphans`]).
    pub orphaned_snapshots: Vec<String>,
}

impl Selection {
    /// Why an image in `kept` is kept.
    pub fn why_kept(&self, image: &Candidate, keep: usize, protect: Option<&str>) -> String {
        if protect == Some(image.id.as_str()) {
            "the image just made".to_string()
        } else {
            format!("one of the newest {}", keep.max(1))
        }
    }
}

/// Splits `images`. `protect` (the image just built) is always kept and
/// counts toward `keep`; images not older than it are skipped, and so are
/// pending images and those in `in_use`.
pub fn select(
    mut images: Vec<Candidate>,
    keep: usize,
    protect: Option<&str>,
    in_use: &in_use::InUse,
) -> Selection {
    images.sort_by(newest_first);
    let keep = keep.max(1);
    let mut selection = Selection::default();
    let protected = protect.and_then(|p| images.iter().position(|c| c.id == p));
    let protected = protected.map(|pos| images.remove(pos));
    if let Some(p) = &protected {
        selection.kept.push(p.clone());
    }
    for image in images {
        let skip = if let Some(users) = in_use.get(&image.id) {
            Some(format!("used by {}", users.join("; ")))
        } else if image.state == "pending" {
            Some("pending: still being created".to_string())
        } else {
            protected
                .as_ref()
                .filter(|p| newest_first(p, &image) != Ordering::Less)
                .map(|p| {
                    format!(
                        "not older than {}, the image just made (another build's?)",
                        p.id
                    )
                })
        };
        match skip {
            Some(reason) => selection.skipped.push((image, reason)),
            None if selection.kept.len() < keep => selection.kept.push(image),
            None => selection.removed.push(image),
        }
    }
    selection.kept.sort_by(newest_first);
    selection
}

/// What prune would do in the region the clients speak to: the app's
/// images there and the images in use, split by [`select`], and the app's
/// orphaned snapshots.
pub async fn plan(
    ec2: &aws_sdk_ec2::Client,
    autoscaling: &aws_sdk_autoscaling::Client,
    app: &str,
    keep: usize,
    protect: Option<&str>,
) -> Result<Selection, StepError> {
    let images = list(ec2, app).await?;
    let in_use = in_use::images_in_use(ec2, autoscaling).await?;
    let mut selection = select(images, keep, protect, &in_use);
    selection.orphaned_snapshots = orphans::find(ec2, app).await?;
    // Of the images to remove, only the snapshots baker made go with them.
    let all: Vec<String> = selection
        .removed
        .iter()
        .flat_map(|c| c.snapshots.iter().cloned())
        .collect();
    let baked = baked_snapshots(ec2, &all).await?;
    for image in &mut selection.removed {
        image.snapshots.retain(|s| baked.contains(s));
    }
    Ok(selection)
}

/// Deregisters each image and deletes its snapshots.
pub async fn remove(
    ec2: &aws_sdk_ec2::Client,
    images: &[Candidate],
    release: SnapshotRelease<'_>,
) -> Result<Vec<String>, StepError> {
    let mut done = Vec::new();
    for image in images {
        delete_image(ec2, &image.id, &image.snapshots, release).await?;
        done.push(image.id.clone());
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, created: &str, build: &str) -> Candidate {
        Candidate {
            id: id.into(),
            name: format!("app-{build}"),
            created: created.into(),
            build: build.into(),
            snapshots: vec![format!("snap-{id}")],
            state: "available".into(),
        }
    }

    fn ids(images: &[Candidate]) -> Vec<&str> {
        images.iter().map(|c| c.id.as_str()).collect()
    }

    fn none() -> in_use::InUse {
        in_use::InUse::new()
    }

    #[test]
    fn keeps_the_newest_and_the_protected_one() {
        let images = vec![
            image("a", "2024-01-01T00:00:00.000Z", "1"),
            image("b", "2024-01-02T00:00:00.000Z", "2"),
            image("c", "2024-01-03T00:00:00.000Z", "3"),
        ];
        let selection = select(images.clone(), 2, Some("c"), &none());
        assert_eq!(ids(&selection.kept), ["c", "b"]);
        assert_eq!(ids(&selection.removed), ["a"]);

        // Images newer than the one just made belong to another build.
        let selection = select(images, 1, Some("a"), &none());
        assert_eq!(ids(&selection.kept), ["a"]);
        assert!(selection.removed.is_empty());
        assert_eq!(selection.skipped.len(), 2);
        assert!(selection.skipped[0].1.contains("not older than a"));
    }

    #[test]
    fn the_build_number_breaks_ties_within_a_second() {
        let same = "2024-01-01T00:00:00.000Z";
        let images = vec![
            image("x", same, "9"),
            image("y", same, "10"),
            image("z", same, "8"),
        ];
        let selection = select(images, 2, None, &none());
        assert_eq!(ids(&selection.kept), ["y", "x"]);
        assert_eq!(selection.removed[0].id, "z");
    }

    #[test]
    fn pending_images_and_images_in_use_are_never_removed() {
        let mut pending = image("p", "2024-01-01T00:00:00.000Z", "1");
        pending.state = "pending".into();
        let images = vec![
            pending,
            image("used", "2024-01-02T00:00:00.000Z", "2"),
            image("old", "2024-01-03T00:00:00.000Z", "3"),
            image("new", "2024-01-04T00:00:00.000Z", "4"),
        ];
        let in_use = in_use::InUse::from([(
            "used".to_string(),
            vec!["launch template lt-1 (web) version 2, the default".to_string()],
        )]);
        let selection = select(images, 1, Some("new"), &in_use);
        assert_eq!(ids(&selection.kept), ["new"]);
        assert_eq!(ids(&selection.removed), ["old"]);
        let skipped: Vec<(&str, &str)> = selection
            .skipped
            .iter()
            .map(|(c, r)| (c.id.as_str(), r.as_str()))
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped[0].0 == "used"
                && skipped[0].1 == "used by launch template lt-1 (web) version 2, the default"
        );
        assert!(skipped[1].0 == "p" && skipped[1].1.contains("pending"));
    }
}
