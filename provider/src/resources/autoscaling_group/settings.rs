//! Changing a group in place: its bounds, capacity, subnets, health check,
//! termination policies, target groups and tags, with the checks AWS users
//! want before a create or an update (subnets in at least two zones).

use aws_sdk_autoscaling::types::Tag;
use cty::Path;

use super::health::describe_group;
use super::schema::{Group, GroupTag};
use crate::aws::consistency::{is_profile_propagation, retry_while_lagging};
use crate::aws::{Aws, aws_error};
use crate::framework::Diagnostics;

pub(super) fn int(n: Option<i64>) -> i32 {
    n.and_then(|n| i32::try_from(n).ok()).unwrap_or(0)
}

pub(super) fn tags_of(name: &str, tags: &[GroupTag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| {
            Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key(&t.key)
                .value(&t.value)
                .propagate_at_launch(t.propagate_at_launch.unwrap_or(true))
                .build()
        })
        .collect()
}

/// AWS spreads a group over its subnets' zones: two subnets in one zone
/// give no protection, so refuse them as AWS users would want.
pub(super) async fn check_zones(aws: &Aws, subnets: &[String]) -> Result<(), Diagnostics> {
    let out = aws
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnets.to_vec()))
        .send()
        .await
        .map_err(|e| aws_error("reading the subnets of vpc_zone_identifier", &e))?;
    let mut zones: Vec<&str> = out
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    zones.sort_unstable();
    zones.dedup();
    if zones.len() < 2 {
        return Err(Diagnostics::attribute_error(
            Path::root().attr("vpc_zone_identifier"),
            "Subnets in one availability zone",
            format!(
                "The subnets {subnets:?} are all in {}; give subnets in at least two availability zones.",
                zones.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The desired capacity AWS holds for the group now.
pub(super) async fn current_desired(aws: &Aws, name: &str) -> Result<Option<i64>, Diagnostics> {
    let group = describe_group(aws, name).await?;
    Ok(group.and_then(|g| g.desired_capacity()).map(i64::from))
}

pub(super) async fn update_settings(
    aws: &Aws,
    prior: &Group,
    planned: &Group,
) -> Result<(), Diagnostics> {
    let name = prior.name.as_str();
    // A desired capacity the plan left unknown (the config does not set it)
    // is not sent: AWS keeps the current one within the new bounds.
    let desired = planned
        .desired_capacity
        .filter(|_| prior.desired() != planned.desired());
    let changed = prior.min_size != planned.min_size
        || prior.max_size != planned.max_size
        || desired.is_some()
        || prior.vpc_zone_identifier != planned.vpc_zone_identifier
        || prior.health_check_type != planned.health_check_type
        || prior.health_check_grace_period != planned.health_check_grace_period
        || prior.termination_policies != planned.termination_policies;
    if changed {
        // The desired capacity only when it changes: a stale one next to new
        // bounds is refused by AWS (min_size 2 -> 3 with desired 2).
        let desired = desired.map(|d| int(Some(d)));
        let request = aws
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .min_size(int(planned.min_size))
            .max_size(int(planned.max_size))
            .set_desired_capacity(desired)
            .vpc_zone_identifier(planned.vpc_zone_identifier.join(","))
            .set_health_check_type(planned.health_check_type.clone())
            .set_health_check_grace_period(
                planned
                    .health_check_grace_period
                    .and_then(|n| i32::try_from(n).ok()),
            )
            .set_termination_policies(planned.termination_policies.clone());
        retry_while_lagging(&aws.stop, is_profile_propagation, || request.clone().send())
            .await
            .map_err(|e| aws_error(&format!("updating autoscaling group {name}"), &e))?;
    }
    let (old, new) = (prior.target_groups(), planned.target_groups());
    let attach: Vec<String> = new.iter().filter(|a| !old.contains(a)).cloned().collect();
    let detach: Vec<String> = old.iter().filter(|a| !new.contains(a)).cloned().collect();
    if !attach.is_empty() {
        aws.autoscaling
            .attach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(attach))
            .send()
            .await
            .map_err(|e| aws_error(&format!("attaching target groups to {name}"), &e))?;
    }
    if !detach.is_empty() {
        aws.autoscaling
            .detach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(detach))
            .send()
            .await
            .map_err(|e| aws_error(&format!("detaching target groups from {name}"), &e))?;
    }
    if prior.tag != planned.tag {
        let removed: Vec<GroupTag> = prior
            .tag
            .iter()
            .filter(|t| !planned.tag.iter().any(|n| n.key == t.key))
            .cloned()
            .collect();
        if !removed.is_empty() {
            aws.autoscaling
                .delete_tags()
                .set_tags(Some(tags_of(name, &removed)))
                .send()
                .await
                .map_err(|e| aws_error(&format!("removing tags of {name}"), &e))?;
        }
        if !planned.tag.is_empty() {
            aws.autoscaling
                .create_or_update_tags()
                .set_tags(Some(tags_of(name, &planned.tag)))
                .send()
                .await
                .map_err(|e| aws_error(&format!("tagging {name}"), &e))?;
        }
    }
    Ok(())
}
