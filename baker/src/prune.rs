//! Keeping the newest `keep` images of an app and removing the others
//! (deregister, then delete their snapshots). Only images owned by this
//! account that carry both `app = <app>` and `baked-by = baker` are ever
//! considered.

use std::cmp::Ordering;

use roundrobin_aws::tags::from_ec2;

use crate::ec2::{delete_image, filter, snapshots_of};
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

/// Splits `images` into (kept, removed). `protect` (the image just built)
/// is always kept and counts toward `keep`.
pub fn select(
    mut images: Vec<Candidate>,
    keep: usize,
    protect: Option<&str>,
) -> (Vec<Candidate>, Vec<Candidate>) {
    images.sort_by(newest_first);
    let keep = keep.max(1);
    let (mut kept, mut removed) = (Vec::new(), Vec::new());
    if let Some(p) = protect
        && let Some(pos) = images.iter().position(|c| c.id == p)
    {
        kept.push(images.remove(pos));
    }
    for image in images {
        if kept.len() < keep {
            kept.push(image);
        } else {
            removed.push(image);
        }
    }
    kept.sort_by(newest_first);
    (kept, removed)
}

/// Deregisters each image and deletes its snapshots.
pub async fn remove(
    ec2: &aws_sdk_ec2::Client,
    images: &[Candidate],
) -> Result<Vec<String>, StepError> {
    let mut done = Vec::new();
    for image in images {
        delete_image(ec2, &image.id, &image.snapshots).await?;
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
        }
    }

    #[test]
    fn keeps_the_newest_and_the_protected_one() {
        let images = vec![
            image("a", "2024-01-01T00:00:00.000Z", "1"),
            image("b", "2024-01-02T00:00:00.000Z", "2"),
            image("c", "2024-01-03T00:00:00.000Z", "3"),
        ];
        let (kept, removed) = select(images.clone(), 2, Some("c"));
        assert_eq!(
            kept.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["c", "b"]
        );
        assert_eq!(
            removed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["a"]
        );

        let (kept, _) = select(images, 1, Some("a"));
        assert_eq!(
            kept.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
    }

    #[test]
    fn the_build_number_breaks_ties_within_a_second() {
        let same = "2024-01-01T00:00:00.000Z";
        let images = vec![
            image("x", same, "9"),
            image("y", same, "10"),
            image("z", same, "8"),
        ];
        let (kept, removed) = select(images, 2, None);
        assert_eq!(
            kept.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["y", "x"]
        );
        assert_eq!(removed[0].id, "z");
    }
}
