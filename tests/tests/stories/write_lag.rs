//! AWS is eventually consistent for writes too ("Eventual consistency in the
//! Amazon EC2 API"; Elastic Load Balancing likewise): right after a create,
//! AuthorizeSecurityGroupIngress, ModifyLoadBalancerAttributes or
//! ModifyTargetGroupAttributes on the new object can answer NotFound. The
//! example stack applied against the emulator's realism mode meets those
//! answers on every call that follows a create, and still applies with
//! nothing tainted and nothing left to change.
//!
//! Emulated behaviour relied on: `--realism` (`consistency_delay_seconds`
//! on reads, writes and tag-filtered lists) and the `lagging` counts of
//! `GET /_emulator/calls`.

use std::time::Duration;

use anyhow::Result;
use e2e::ec2::amazon_image_ids;
use e2e::{EmulatorOptions, MotoServer, Workspace, example_dir};

use crate::support::assert_no_changes;

/// The writes the provider makes on an object right after creating it.
const WRITES_AFTER_CREATE: [&str; 3] = [
    "ec2:AuthorizeSecurityGroupIngress",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
];

#[tokio::test]
async fn the_example_stack_applies_through_aws_write_lag_without_taint() -> Result<()> {
    // Realism whatever the suite's mode: this story is about the lag.
    let options = EmulatorOptions {
        args: vec!["--realism".to_owned()],
        ..EmulatorOptions::from_env()
    };
    let moto = MotoServer::start_with(&options)?;
    let realism = moto.control("GET", "realism", serde_json::json!({}))?;
    assert_eq!(realism["enabled"], true, "{realism}");
    let ec2 = moto.ec2_client().await;
    let mut workspace = Workspace::new(&moto)?;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    workspace.copy_config_from(&example_dir())?;
    workspace.set_var("image_id", &image);
    workspace.set_var("app_port", "8080");
    workspace.set_var("health_path", "/health");
    workspace.set_timeout(Duration::from_secs(600));

    workspace.apply()?;

    // The emulator really answered NotFound to each write after a create.
    let calls = moto.control("GET", "calls", serde_json::json!({}))?;
    for write in WRITES_AFTER_CREATE {
        let lagged = calls["lagging"][write].as_u64().unwrap_or(0);
        assert!(lagged >= 1, "{write} never met the lag: {calls}");
    }
    // ... and the provider waited it out: nothing tainted, nothing to change.
    let state = workspace.show_json()?;
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!resources.is_empty(), "{state}");
    let tainted: Vec<&serde_json::Value> = resources
        .iter()
        .filter(|r| r["tainted"].as_bool().unwrap_or(false))
        .map(|r| &r["address"])
        .collect();
    assert!(tainted.is_empty(), "tainted: {tainted:?}");
    assert_no_changes(&workspace)?;

    workspace.destroy()?;
    Ok(())
}
