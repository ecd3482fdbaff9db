//! Images something still uses, which prune never removes, each with why:
//! - every launch template's default and latest version (one
//!   DescribeLaunchTemplateVersions call with `$Default` and `$Latest` and
//!   no template named lists them for every template of the region);
//! - every launch template version an autoscaling group launches from, its
//!   `$Default` / `$Latest` resolved to the version it stands for, including
//!   a mixed instances policy's template and its overrides' templates, and
//!   a group's launch configuration ([`groups`]): a group pinned to an
//!   older version (a rolled-back rollout) must still be able to scale out
//!   and replace an unhealthy instance;
//! - the image of every instance that is not terminated, running or stopped
//!   ([`instances`]).

mod groups;
mod instances;

use std::collections::BTreeMap;

use aws_sdk_ec2::types::LaunchTemplateVersion;

use crate::error::StepError;

/// Image id → why it is in use (`launch template lt-… (web) version 3`,
/// `autoscaling group web (lt-… version 2)`, `instance i-… (stopped)`).
pub type InUse = BTreeMap<String, Vec<String>>;

/// Adds `why` to the reasons `image` is in use (each reason once).
fn record(in_use: &mut InUse, image: &str, why: String) {
    let reasons = in_use.entry(image.to_string()).or_default();
    if !reasons.contains(&why) {
        reasons.push(why);
    }
}

/// Everything that uses an image in the region the clients speak to.
pub async fn images_in_use(
    ec2: &aws_sdk_ec2::Client,
    autoscaling: &aws_sdk_autoscaling::Client,
) -> Result<InUse, StepError> {
    let mut in_use = InUse::new();
    templates_default_and_latest(ec2, &mut in_use).await?;
    groups::record_images(ec2, autoscaling, &mut in_use).await?;
    instances::record_images(ec2, &mut in_use).await?;
    Ok(in_use)
}

/// `lt-… (web) version 3, the default`.
fn describe_version(version: &LaunchTemplateVersion) -> String {
    format!(
        "{} ({}) version {}{}",
        version.launch_template_id().unwrap_or_default(),
        version.launch_template_name().unwrap_or_default(),
        version.version_number().unwrap_or_default(),
        if version.default_version() == Some(true) {
            ", the default"
        } else {
            ""
        }
    )
}

/// An error of a read prune needs, saying why it needs it.
fn needed_for(action: &'static str, what: &str) -> impl FnOnce(StepError) -> StepError {
    move |error| {
        StepError::unexpected(format!(
            "{error} (prune needs {action} to leave images that {what} use alone)"
        ))
    }
}

async fn templates_default_and_latest(
    ec2: &aws_sdk_ec2::Client,
    in_use: &mut InUse,
) -> Result<(), StepError> {
    let mut pages = ec2
        .describe_launch_template_versions()
        .versions("$Default")
        .versions("$Latest")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(StepError::aws("DescribeLaunchTemplateVersions"))
            .map_err(needed_for("it", "launch templates"))?;
        for version in page.launch_template_versions() {
            let Some(image) = version.launch_template_data().and_then(|d| d.image_id()) else {
                continue;
            };
            record(
                in_use,
                image,
                format!("launch template {}", describe_version(version)),
            );
        }
    }
    Ok(())
}
