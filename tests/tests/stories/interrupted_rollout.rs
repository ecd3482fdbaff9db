//! Ctrl-C while `terraform apply` waits for a rollout: Terraform asks the
//! provider to stop (StopProvider), the provider rolls the group back to the
//! version it ran before, the state saved says so, and the next apply rolls
//! the new image out again.
//!
//! Emulated behaviour relied on (emulator): instance refresh that
//! honours its warm-up when the `timing` control says so (so the rollout is
//! still under way when Ctrl-C comes), RollbackInstanceRefresh, each
//! instance's launch template version.

use std::time::Duration;

use anyhow::{Result, bail};
use aws_sdk_autoscaling::types::InstanceRefreshStatus;

use crate::rollout::Stack;
use crate::support::{assert_no_changes, assert_no_crash, eventually, eventually_within};

#[tokio::test]
async fn ctrl_c_during_a_rollout_rolls_back_and_the_next_apply_rolls_out_again() -> Result<()> {
    let mut stack = Stack::applied().await?;
    // Each batch waits its 30 s warm-up: time enough to press Ctrl-C.
    stack.honor_warmups(true)?;
    let next = stack.images[1].clone();
    stack.workspace.set_var("image_id", &next);

    let apply = stack.workspace.start_apply()?;
    eventually_within(
        "an instance refresh of nodeapp under way",
        Duration::from_secs(90),
        || async {
            let refreshes = stack
                .asg
                .describe_instance_refreshes()
                .auto_scaling_group_name("nodeapp")
                .send()
                .await?;
            match refreshes
                .instance_refreshes()
                .first()
                .and_then(|r| r.status())
            {
                Some(InstanceRefreshStatus::InProgress) => Ok(()),
                other => bail!("the refresh is {other:?}"),
            }
        },
    )
    .await?;
    // As a terminal does: SIGINT to terraform and the provider it started.
    apply.interrupt()?;
    let interrupted = apply.finish(stack.workspace.timeout())?;

    assert!(!interrupted.success(), "{interrupted}");
    assert_no_crash(&interrupted);
    // Terraform wraps diagnostics to the terminal's width.
    let text = interrupted
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Interrupt received"), "{interrupted}");
    assert!(
        text.contains(
            "Cancelled: interrupted. The group was rolled back and runs launch template version 1."
        ),
        "{interrupted}"
    );
    assert_eq!(stack.configured_version().await?, "1");
    every_instance_runs(&stack, "1", &stack.images[0]).await?;
    // The state says what runs (read without a refresh).
    assert_eq!(stack.saved_template_version()?, "1");

    // The next apply rolls the image out again, to the end this time.
    stack.honor_warmups(false)?;
    stack.workspace.apply()?;
    assert_eq!(stack.configured_version().await?, "2");
    every_instance_runs(&stack, "2", &next).await?;
    assert_no_changes(&stack.workspace)
}

/// The group's two instances are on launch template `version` and run
/// `image`. An instance launched a moment ago may still be unknown to
/// DescribeInstances (as on AWS; the realism pass shows it), so this is
/// asked until it holds.
async fn every_instance_runs(stack: &Stack, version: &str, image: &str) -> Result<()> {
    eventually(
        &format!("every instance on version {version} running {image}"),
        || async {
            let instances = stack.instances().await?;
            if instances.len() != 2 {
                bail!("the group has {instances:?}, not its two instances");
            }
            match instances
                .iter()
                .find(|(_, v, i)| v != version || i != image)
            {
                None => Ok(()),
                Some(other) => bail!("{other:?} among {instances:?}"),
            }
        },
    )
    .await
}
