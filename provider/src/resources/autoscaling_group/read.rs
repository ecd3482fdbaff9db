//! The group as AWS has it, in the shape the user wrote it: subnets, target
//! groups and tags keep the configured order when they are the same set.

use aws_sdk_autoscaling::types::AutoScalingGroup;

use super::health::describe_group;
use super::schema::{Group, GroupTag, InstanceInfo, LaunchTemplateRef};
use crate::aws::{Aws, aws_error};
use crate::framework::Diagnostics;

pub async fn read_group(aws: &Aws, known: &Group) -> Result<Option<Group>, Diagnostics> {
    let Some(group) = describe_group(aws, &known.name).await? else {
        return Ok(None);
    };
    let mut read = from_aws(&group, known);
    if let Some(lt) = read.launch_template.as_mut() {
        lt.version = resolve_version(aws, &lt.id, &lt.version).await?;
    }
    super::refresh_in_progress::follow(aws, known, &mut read).await?;
    Ok(Some(read))
}

/// A group made outside Terraform may run `$Default` or `$Latest`, which
/// this resource refuses in a configuration (a new version must be a visible
/// change). Such a group is read as the version number the name stands for
/// now (EC2 Auto Scaling API reference, `LaunchTemplateSpecification`:
/// `$Latest` and `$Default` are resolved when an instance launches), so an
/// import generates a configuration that plans no change; if the default
/// or latest version moves later, the next plan shows it.
async fn resolve_version(
    aws: &Aws,
    template_id: &str,
    version: &str,
) -> Result<String, Diagnostics> {
    if version != "$Default" && version != "$Latest" {
        return Ok(version.to_string());
    }
    let out = aws
        .ec2
        .describe_launch_templates()
        .launch_template_ids(template_id)
        .send()
        .await
        .map_err(|e| {
            aws_error(
                &format!("resolving version {version} of launch template {template_id}"),
                &e,
            )
        })?;
    let template = out.launch_templates().first();
    let number = match version {
        "$Default" => template.and_then(|t| t.default_version_number()),
        _ => template.and_then(|t| t.latest_version_number()),
    };
    number.map(|n| n.to_string()).ok_or_else(|| {
        Diagnostics::error(
            "Launch template version not found",
            format!("The group runs version {version} of launch template {template_id}, which AWS no longer lists."),
        )
    })
}

fn from_aws(group: &AutoScalingGroup, known: &Group) -> Group {
    let name = group
        .auto_scaling_group_name()
        .unwrap_or_default()
        .to_string();
    let lt = group.launch_template().map(|t| LaunchTemplateRef {
        id: t.launch_template_id().unwrap_or_default().to_string(),
        version: t.version().unwrap_or_default().to_string(),
    });
    let mut subnets: Vec<String> = group
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    // Keep the user's order when the set is the same.
    if same_items(&subnets, &known.vpc_zone_identifier) {
        subnets = known.vpc_zone_identifier.clone();
    }
    let mut target_groups = group.target_group_arns().to_vec();
    if same_items(&target_groups, &known.target_groups()) {
        target_groups = known.target_groups();
    }
    let tags = group
        .tags()
        .iter()
        .filter_map(|t| {
            Some(GroupTag {
                key: t.key()?.to_string(),
                value: t.value().unwrap_or_default().to_string(),
                propagate_at_launch: t.propagate_at_launch(),
            })
        })
        .collect::<Vec<_>>();
    let tags = if same_items(&tags, &known.tag) {
        known.tag.clone()
    } else {
        tags
    };
    let instances = group
        .instances()
        .iter()
        .map(|i| InstanceInfo {
            id: i.instance_id().unwrap_or_default().to_string(),
            availability_zone: i.availability_zone().unwrap_or_default().to_string(),
            launch_template_version: i
                .launch_template()
                .and_then(|t| t.version())
                .unwrap_or_default()
                .to_string(),
            lifecycle_state: i
                .lifecycle_state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            health_status: i.health_status().unwrap_or_default().to_string(),
        })
        .collect();
    Group {
        id: Some(name.clone()),
        arn: group.auto_scaling_group_arn().map(str::to_string),
        name,
        min_size: group.min_size().map(i64::from),
        max_size: group.max_size().map(i64::from),
        desired_capacity: group.desired_capacity().map(i64::from),
        vpc_zone_identifier: subnets,
        target_group_arns: (!target_groups.is_empty() || known.target_group_arns.is_some())
            .then_some(target_groups),
        health_check_type: group.health_check_type().map(str::to_string),
        health_check_grace_period: group.health_check_grace_period().map(i64::from),
        termination_policies: Some(group.termination_policies().to_vec()),
        launch_template: lt,
        tag: tags,
        rollout: known.rollout.clone(),
        timeouts: known.timeouts.clone(),
        instances: Some(instances),
        last_rollout_status: known
            .last_rollout_status
            .clone()
            .or_else(|| Some("None".into())),
    }
}

fn same_items<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}
