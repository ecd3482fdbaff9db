//! What the state records while an instance refresh started with
//! `rollout { wait = false }` runs, and after it ends.
//!
//! While it runs, AWS keeps the group's own launch template at the old
//! version and holds the new one in the refresh's desired configuration
//! (EC2 Auto Scaling API reference, StartInstanceRefresh: "the desired
//! configuration ... is applied to the group when the instance refresh
//! succeeds"). The state then records the version being rolled out as the
//! group's `launch_template`, and `last_rollout_status = "InProgress"`; the
//! `instances` list shows the version each instance runs. A plan is then
//! empty, and never asks for a second refresh, which AWS would refuse while
//! one is running.
//!
//! Once the refresh has ended, the group is read as it is: a successful
//! refresh leaves it on the new version (`Successful`); a failed, cancelled
//! or rolled back one leaves it on the old version, so the next plan shows
//! the rollout again, and `last_rollout_status` says how it ended.

use aws_sdk_autoscaling::types::{InstanceRefresh, InstanceRefreshStatus};

use super::schema::{Group, LaunchTemplateRef};
use crate::aws::{Aws, aws_error};
use crate::framework::Diagnostics;

/// Fills in the rollout a `wait = false` apply left running, when the state
/// says one was (`last_rollout_status = "InProgress"`).
pub async fn follow(aws: &Aws, known: &Group, read: &mut Group) -> Result<(), Diagnostics> {
    if known.last_rollout_status.as_deref() != Some("InProgress") {
        return Ok(());
    }
    let Some(refresh) = latest_refresh(aws, &read.name).await? else {
        read.last_rollout_status = Some("None".into());
        return Ok(());
    };
    let status = refresh.status().cloned();
    match status {
        Some(
            InstanceRefreshStatus::Pending
            | InstanceRefreshStatus::InProgress
            | InstanceRefreshStatus::Baking,
        ) => {
            if let Some(target) = desired_template(&refresh) {
                read.launch_template = Some(target);
            }
            read.last_rollout_status = Some("InProgress".into());
        }
        Some(InstanceRefreshStatus::Successful) => {
            read.last_rollout_status = Some("Successful".into());
        }
        // Cancelling and rolling back: the group stays on (or goes back to)
        // its old version, which the read shows; the rollout has failed.
        Some(other) => {
            tracing::info!(group = %read.name, status = other.as_str(), "the instance refresh did not succeed");
            read.last_rollout_status = Some("Failed".into());
        }
        None => {}
    }
    Ok(())
}

/// The launch template a refresh moves the group to.
fn desired_template(refresh: &InstanceRefresh) -> Option<LaunchTemplateRef> {
    let spec = refresh.desired_configuration()?.launch_template()?;
    Some(LaunchTemplateRef {
        id: spec.launch_template_id()?.to_string(),
        version: spec.version()?.to_string(),
    })
}

/// The group's most recent instance refresh.
async fn latest_refresh(aws: &Aws, name: &str) -> Result<Option<InstanceRefresh>, Diagnostics> {
    let out = aws
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(name)
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading the instance refreshes of {name}"), &e))?;
    Ok(out
        .instance_refreshes()
        .iter()
        .max_by_key(|r| r.start_time().map(|t| (t.secs(), t.subsec_nanos())))
        .cloned())
}
