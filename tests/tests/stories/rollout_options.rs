//! The rollout's options, each as a user would try it on the example stack:
//! a rollout that outlives its timeout is rolled back, `auto_rollback =
//! false` leaves the failed rollout in place and says so, `wait = false`
//! returns at once while the refresh goes on, and a failed `surge` rollout
//! is rolled back too.
//!
//! Emulated behaviour relied on (emulator): instance refresh with its
//! warmup honoured when asked (`instance_warmup_honored`), RollbackInstanceRefresh,
//! the `unhealthy-images` control for target health.

use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;

use crate::rollout::Stack;
use crate::support::{assert_no_changes, assert_no_crash, eventually_within};

/// The example stack's rollout block, replaced through an override file.
fn rollout_override(strategy: &str, wait: bool, auto_rollback: bool) -> String {
    format!(
        r#"resource "roundrobin_autoscaling_group" "app" {{
  rollout {{
    strategy               = "{strategy}"
    min_healthy_percentage = 100
    max_healthy_percentage = 200
    instance_warmup        = 30
    wait                   = {wait}
    auto_rollback          = {auto_rollback}
  }}
}}
"#
    )
}

/// Applies the stack with this rollout block.
fn use_rollout(stack: &mut Stack, strategy: &str, wait: bool, auto_rollback: bool) -> Result<()> {
    stack.workspace.write_file(
        "rollout_override.tf",
        &rollout_override(strategy, wait, auto_rollback),
    )?;
    stack.workspace.apply()?;
    Ok(())
}

/// Rolls out the third image, whose instances the emulator reports
/// unhealthy, with this rollout timeout: the apply must fail.
fn roll_out_a_broken_image(stack: &mut Stack, timeout: &str) -> Result<e2e::Output> {
    let broken = stack.images[2].clone();
    stack
        .moto
        .control("POST", "unhealthy-images", json!({ "image_id": broken }))?;
    stack.workspace.set_var("image_id", &broken);
    stack.workspace.set_var("rollout_timeout", timeout);
    let failed = stack.workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    Ok(failed)
}

#[tokio::test]
async fn a_rollout_that_outlives_its_timeout_is_rolled_back() -> Result<()> {
    let mut stack = Stack::applied().await?;
    // Each batch now waits its 30 s warmup: longer than the timeout below.
    stack.honor_warmups(true)?;
    let next = stack.images[1].clone();
    stack.workspace.set_var("image_id", &next);
    stack.workspace.set_var("rollout_timeout", "5s");
    let failed = stack.workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    // Terraform wraps a diagnostic to the terminal's width: read it unwrapped.
    let text = failed
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("did not finish within"), "{failed}");
    assert!(text.contains("rolled back"), "{failed}");
    assert_eq!(stack.configured_version().await?, "1");
    assert_eq!(stack.saved_template_version()?, "1");
    Ok(())
}

#[tokio::test]
async fn without_auto_rollback_a_failed_rollout_is_reported_and_left_alone() -> Result<()> {
    let mut stack = Stack::applied().await?;
    use_rollout(&mut stack, "instance_refresh", true, false)?;
    // Failing by the emulator's checks or by this timeout is the same story.
    let failed = roll_out_a_broken_image(&mut stack, "90s")?;
    assert!(
        failed
            .combined()
            .contains("was not rolled back (auto_rollback = false)"),
        "{failed}"
    );
    // AWS applies a desired configuration only when the refresh succeeds.
    assert_eq!(stack.configured_version().await?, "1");
    assert_eq!(stack.saved_template_version()?, "1");
    Ok(())
}

#[tokio::test]
async fn without_wait_apply_returns_and_the_refresh_finishes_later() -> Result<()> {
    let mut stack = Stack::applied().await?;
    use_rollout(&mut stack, "instance_refresh", false, true)?;
    let next = stack.images[1].clone();
    stack.workspace.set_var("image_id", &next);
    stack.workspace.apply()?;
    // The emulated refresh replaces one instance at a time, warm-up included.
    eventually_within(
        "the refresh moving the group to version 2",
        Duration::from_secs(120),
        || async {
            match stack.configured_version().await?.as_str() {
                "2" => Ok(()),
                other => bail!("the group is on version {other}"),
            }
        },
    )
    .await?;
    assert_no_changes(&stack.workspace)?;
    Ok(())
}

#[tokio::test]
async fn a_failed_surge_rollout_is_rolled_back() -> Result<()> {
    let mut stack = Stack::applied().await?;
    use_rollout(&mut stack, "surge", true, true)?;
    let failed = roll_out_a_broken_image(&mut stack, "1m")?;
    assert!(failed.combined().contains("failed"), "{failed}");
    assert_eq!(stack.configured_version().await?, "1");
    let instances = stack.instances().await?;
    assert_eq!(instances.len(), 2, "back to two instances: {instances:?}");
    for (id, _, image) in &instances {
        assert_eq!(image, &stack.images[0], "{id} runs the first image");
    }
    Ok(())
}
