//! Target tracking policies on a group behind a load balancer: one on the
//! requests per instance the load balancer counts (its resource label
//! derived from the target group and its load balancer), one on CPU. They
//! are created, plan no change, are planned again when deleted elsewhere,
//! change in place, and are destroyed with the alarms Auto Scaling made for
//! them.
//!
//! Emulated behaviour relied on: PutScalingPolicy / DescribePolicies /
//! DeletePolicy with TargetTrackingConfiguration, the ResourceLabel checked
//! against the group's target groups, the TargetTracking-…-AlarmHigh/Low
//! alarms in DescribeAlarms (CloudWatch over RPC v2 CBOR), deleted with the
//! policy.

use anyhow::{Context, Result};
use aws_sdk_autoscaling::types::MetricType;
use e2e::Workspace;

use crate::autoscaling_policy_stack::{
    CPU_POLICY, GROUP, POLICY, Scaled, request_policy, tracking,
};
use crate::support::assert_no_changes;

fn state_attribute(workspace: &Workspace, address: &str, name: &str) -> Result<serde_json::Value> {
    let state = workspace.show_json()?;
    let resources = state
        .pointer("/values/root_module/resources")
        .and_then(|r| r.as_array())
        .context("no resources in state")?;
    resources
        .iter()
        .find(|r| r["address"] == address)
        .map(|r| r["values"][name].clone())
        .with_context(|| format!("{address} not in state"))
}

#[tokio::test]
async fn policies_are_created_changed_in_place_and_destroyed_with_their_alarms() -> Result<()> {
    let scaled = Scaled::applied().await?;
    scaled.write(&format!("{}{CPU_POLICY}", request_policy(100, false)))?;
    scaled.workspace.apply()?;

    let requests = scaled.policy(POLICY).await?.context("no request policy")?;
    let config = tracking(&requests)?;
    let predefined = config
        .predefined_metric_specification()
        .context("no predefined metric")?;
    assert_eq!(
        predefined.predefined_metric_type(),
        Some(&MetricType::AlbRequestCountPerTarget)
    );
    let label = scaled.expected_label().await?;
    assert_eq!(predefined.resource_label(), Some(label.as_str()));
    assert_eq!(config.target_value(), Some(100.0));
    assert_eq!(config.disable_scale_in(), Some(false));
    assert_eq!(requests.estimated_instance_warmup(), Some(60));
    let cpu = scaled.policy("cpu").await?.context("no CPU policy")?;
    assert_eq!(tracking(&cpu)?.target_value(), Some(55.5));

    let address = "roundrobin_autoscaling_policy.requests";
    assert_eq!(
        state_attribute(&scaled.workspace, address, "resource_label")?,
        serde_json::json!(label)
    );
    let alarm_arns = state_attribute(&scaled.workspace, address, "alarm_arns")?;
    let alarm_arns = alarm_arns.as_array().context("alarm_arns not a list")?;
    assert_eq!(alarm_arns.len(), 2, "{alarm_arns:?}");
    assert_eq!(scaled.tracking_alarms().await?.len(), 4);
    assert_no_changes(&scaled.workspace)?;

    // Deleted behind Terraform's back: planned again.
    scaled
        .asg
        .delete_policy()
        .auto_scaling_group_name(GROUP)
        .policy_name("cpu")
        .send()
        .await?;
    let gone = scaled.workspace.plan_detailed()?;
    assert!(gone.stdout.contains("1 to add, 0 to change"), "{gone}");
    scaled.workspace.apply()?;
    assert!(scaled.policy("cpu").await?.is_some());

    scaled.write(&format!("{}{CPU_POLICY}", request_policy(250, true)))?;
    let changed = scaled.workspace.apply()?;
    assert!(
        changed.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{changed}"
    );
    let requests = scaled.policy(POLICY).await?.context("no request policy")?;
    assert_eq!(tracking(&requests)?.target_value(), Some(250.0));
    assert_eq!(tracking(&requests)?.disable_scale_in(), Some(true));
    assert_no_changes(&scaled.workspace)?;

    scaled.write("")?;
    scaled.workspace.apply()?;
    assert!(scaled.policy(POLICY).await?.is_none());
    assert!(scaled.policy("cpu").await?.is_none());
    assert_eq!(scaled.tracking_alarms().await?, Vec::<String>::new());
    Ok(())
}
