//! Images a launch template uses: the image of each template's default
//! and latest version (one DescribeLaunchTemplateVersions call with
//! `$Default` and `$Latest` and no template named lists them for every
//! template of the region). Prune never removes such an image.

use std::collections::BTreeMap;

use crate::error::StepError;

/// Image id → the template versions that use it (`lt-… (web) version 3`).
pub type InUse = BTreeMap<String, Vec<String>>;

pub async fn images_in_use(ec2: &aws_sdk_ec2::Client) -> Result<InUse, StepError> {
    let mut pages = ec2
        .describe_launch_template_versions()
        .versions("$Default")
        .versions("$Latest")
        .into_paginator()
        .send();
    let mut in_use = InUse::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let error = StepError::aws("DescribeLaunchTemplateVersions")(e);
            StepError::unexpected(format!(
                "{error} (prune needs it to leave images that launch templates use alone)"
            ))
        })?;
        for version in page.launch_template_versions() {
            let Some(image) = version.launch_template_data().and_then(|d| d.image_id()) else {
                continue;
            };
            let what = format!(
                "{} ({}) version {}{}",
                version.launch_template_id().unwrap_or_default(),
                version.launch_template_name().unwrap_or_default(),
                version.version_number().unwrap_or_default(),
                if version.default_version() == Some(true) {
                    ", the default"
                } else {
                    ""
                }
            );
            let users = in_use.entry(image.to_string()).or_default();
            if !users.contains(&what) {
                users.push(what);
            }
        }
    }
    Ok(in_use)
}
