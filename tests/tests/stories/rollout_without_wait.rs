//! `rollout { wait = false }`: the apply returns while the instance refresh
//! runs, the state records the version being rolled out with
//! `last_rollout_status = "InProgress"`, and a plan made at once is empty (no
//! second refresh, which AWS would refuse). The refresh's end is seen by the
//! next refresh of the state: `Successful`, or a failed refresh leaves the
//! group on its old version, which the next plan shows as the rollout to do.
//!
//! Emulated behaviour relied on (emulator): instance refresh with its warmup
//! honoured when asked, DescribeInstanceRefreshes with the desired
//! configuration, the `unhealthy-images` control for target health and the
//! refresh's auto rollback.

use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;

use crate::rollout::Stack;
use crate::support::{assert_no_changes, eventually_within};

const NO_WAIT: &str = r#"resource "roundrobin_autoscaling_group" "app" {
  rollout {
    wait = false
  }
}
"#;

/// `last_rollout_status` after a refresh of the state (`image` is the
/// configured image).
fn refreshed_status(stack: &Stack, image: &str) -> Result<String> {
    let image_var = format!("image_id={image}");
    let refreshed = stack.workspace.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-var",
        &image_var,
        "-var",
        "app_port=8080",
        "-var",
        "health_path=/health",
    ])?;
    if refreshed.code != Some(0) {
        bail!("the refresh failed:\n{refreshed}");
    }
    let state = stack.workspace.show_json()?;
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(resources
        .iter()
        .find(|r| r["address"] == "roundrobin_autoscaling_group.app")
        .map(|r| {
            r["values"]["last_rollout_status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default())
}

#[tokio::test]
async fn a_rollout_without_wait_plans_nothing_while_it_runs_and_its_end_is_seen() -> Result<()> {
    let mut stack = Stack::applied().await?;
    stack.workspace.write_file("rollout_override.tf", NO_WAIT)?;
    stack.workspace.apply()?;

    let next = stack.images[1].clone();
    stack.workspace.set_var("image_id", &next);
    stack.workspace.apply()?;
    assert_eq!(stack.saved_template_version()?, "2");
    assert_no_changes(&stack.workspace)?;
    // Draining the replaced instances keeps the refresh running for a while;
    // should it have ended already, the state says so.
    let status = refreshed_status(&stack, &next)?;
    assert!(
        matches!(status.as_str(), "InProgress" | "Successful"),
        "{status}"
    );
    assert_no_changes(&stack.workspace)?;

    eventually_within(
        "the refresh to version 2 ending",
        Duration::from_secs(240),
        || async {
            match refreshed_status(&stack, &next)?.as_str() {
                "Successful" => Ok(()),
                other => bail!("the rollout is {other}"),
            }
        },
    )
    .await?;
    assert_eq!(stack.configured_version().await?, "2");
    assert_no_changes(&stack.workspace)?;

    // A version whose instances never become healthy: the refresh fails and
    // rolls back, and the next plan shows the rollout still to do.
    let broken = stack.images[2].clone();
    stack
        .moto
        .control("POST", "unhealthy-images", json!({ "image_id": broken }))?;
    stack.workspace.set_var("image_id", &broken);
    stack.workspace.apply()?;
    eventually_within(
        "the refresh to version 3 failing",
        Duration::from_secs(300),
        || async {
            match refreshed_status(&stack, &broken)?.as_str() {
                "Failed" => Ok(()),
                other => bail!("the rollout is {other}"),
            }
        },
    )
    .await?;
    assert_eq!(stack.configured_version().await?, "2");
    let plan = stack.workspace.plan_detailed()?;
    assert_eq!(
        plan.code,
        Some(2),
        "the failed rollout is planned again:\n{plan}"
    );
    Ok(())
}
