//! The images autoscaling groups launch from: the launch template version
//! of each group (`$Default`, `$Latest` or no version resolved to the
//! number it stands for now), the templates of a mixed instances policy and
//! of its overrides, and a group's launch configuration.

use std::collections::BTreeMap;

use aws_sdk_autoscaling::types::{AutoScalingGroup, LaunchTemplateSpecification};
use roundrobin_aws::AwsErrorDetail;

use super::{InUse, needed_for, record};
use crate::error::StepError;

/// A template as a group names it: by id or by name, and a version
/// (`None` means `$Default`, as in AWS).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TemplateRef {
    id: Option<String>,
    name: Option<String>,
    version: String,
}

impl TemplateRef {
    fn from_spec(spec: &LaunchTemplateSpecification) -> Option<TemplateRef> {
        let id = spec.launch_template_id().map(str::to_string);
        let name = spec.launch_template_name().map(str::to_string);
        if id.is_none() && name.is_none() {
            return None;
        }
        Some(TemplateRef {
            id,
            name,
            version: spec.version().unwrap_or("$Default").to_string(),
        })
    }
}

/// Every template (and launch configuration) a group uses, by group name.
fn templates_of(group: &AutoScalingGroup) -> Vec<TemplateRef> {
    let mut specs: Vec<&LaunchTemplateSpecification> = Vec::new();
    specs.extend(group.launch_template());
    if let Some(mixed) = group
        .mixed_instances_policy()
        .and_then(|p| p.launch_template())
    {
        specs.extend(mixed.launch_template_specification());
        specs.extend(
            mixed
                .overrides()
                .iter()
                .filter_map(|o| o.launch_template_specification()),
        );
    }
    let mut refs: Vec<TemplateRef> = specs
        .into_iter()
        .filter_map(TemplateRef::from_spec)
        .collect();
    refs.sort();
    refs.dedup();
    refs
}

pub(super) async fn record_images(
    ec2: &aws_sdk_ec2::Client,
    autoscaling: &aws_sdk_autoscaling::Client,
    in_use: &mut InUse,
) -> Result<(), StepError> {
    let mut uses: BTreeMap<TemplateRef, Vec<String>> = BTreeMap::new();
    let mut configurations: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut pages = autoscaling
        .describe_auto_scaling_groups()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(StepError::aws("DescribeAutoScalingGroups"))
            .map_err(needed_for("it", "autoscaling groups"))?;
        for group in page.auto_scaling_groups() {
            let name = group.auto_scaling_group_name().unwrap_or_default();
            for template in templates_of(group) {
                uses.entry(template).or_default().push(name.to_string());
            }
            if let Some(configuration) = group.launch_configuration_name() {
                configurations
                    .entry(configuration.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
    }
    for (template, groups) in uses {
        let Some((image, version)) = resolve(ec2, &template).await? else {
            continue;
        };
        for group in groups {
            record(
                in_use,
                &image,
                format!("autoscaling group {group} ({version})"),
            );
        }
    }
    record_configurations(autoscaling, configurations, in_use).await
}

/// The image of the version `template` stands for now, and that version
/// (`lt-… version 3`); `None` when the template or version no longer exists
/// (the group cannot launch from it either) or it names no image.
async fn resolve(
    ec2: &aws_sdk_ec2::Client,
    template: &TemplateRef,
) -> Result<Option<(String, String)>, StepError> {
    let mut request = ec2
        .describe_launch_template_versions()
        .versions(&template.version);
    request = match (&template.id, &template.name) {
        (Some(id), _) => request.launch_template_id(id),
        (None, Some(name)) => request.launch_template_name(name),
        (None, None) => return Ok(None),
    };
    let out = match request.send().await {
        Ok(out) => out,
        Err(e)
            if e.code().is_some_and(|code| {
                code.starts_with("InvalidLaunchTemplateId.")
                    || code.starts_with("InvalidLaunchTemplateName.")
            }) =>
        {
            tracing::debug!(
                ?template,
                "a group's launch template is gone: {}",
                e.describe()
            );
            return Ok(None);
        }
        Err(e) => {
            return Err(needed_for(
                "DescribeLaunchTemplateVersions",
                "autoscaling groups",
            )(StepError::aws(
                "DescribeLaunchTemplateVersions",
            )(e)));
        }
    };
    Ok(out.launch_template_versions().first().and_then(|version| {
        let image = version.launch_template_data()?.image_id()?;
        let named = format!(
            "{} version {}",
            version.launch_template_id().unwrap_or_default(),
            version.version_number().unwrap_or_default()
        );
        Some((image.to_string(), named))
    }))
}

/// The images of the groups' launch configurations (the older way to say
/// what a group launches).
async fn record_configurations(
    autoscaling: &aws_sdk_autoscaling::Client,
    configurations: BTreeMap<String, Vec<String>>,
    in_use: &mut InUse,
) -> Result<(), StepError> {
    let names: Vec<String> = configurations.keys().cloned().collect();
    // DescribeLaunchConfigurations takes at most 50 names.
    for chunk in names.chunks(50) {
        let mut pages = autoscaling
            .describe_launch_configurations()
            .set_launch_configuration_names(Some(chunk.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(StepError::aws("DescribeLaunchConfigurations"))
                .map_err(needed_for("it", "autoscaling groups"))?;
            for configuration in page.launch_configurations() {
                let (Some(name), Some(image)) = (
                    configuration.launch_configuration_name(),
                    configuration.image_id(),
                ) else {
                    continue;
                };
                for group in configurations.get(name).into_iter().flatten() {
                    record(
                        in_use,
                        image,
                        format!("autoscaling group {group} (launch configuration {name})"),
                    );
                }
            }
        }
    }
    Ok(())
}
