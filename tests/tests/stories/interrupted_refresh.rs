//! Ctrl-C while a refresh waits for AWS to show a resource this provider
//! created a moment ago. AWS is eventually consistent ("Eventual consistency
//! in the Amazon EC2 API"): for a while after a create, DescribeSecurityGroups
//! by id answers InvalidGroup.NotFound, and ReadResource waits that out
//! rather than tell Terraform the group is gone. Terraform cancels through
//! StopProvider on Ctrl-C (SIGINT); the provider must then keep the state it
//! had, with an error, never answer "deleted" (a null state, after which a
//! refresh drops the group from the state and a plan creates a second one).
//!
//! Emulated behaviour relied on: the `consistency_delay_seconds` timing knob,
//! measured from each resource's creation at the time of each request (so a
//! delay raised after the apply hides the group again), and the `lagging`
//! counts of `GET /_emulator/calls`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use e2e::process::Running;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually_within};

const CONFIG: &str = r#"
resource "roundrobin_security_group" "web" {
  name        = "web"
  description = "web servers"

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

/// Far longer than the provider's wait: the group stays hidden until the
/// story puts the delay back.
const HIDDEN_FOR: f64 = 3600.0;

/// A new group for the one in the state.
const REPLACE: [&str; 5] = [
    "apply",
    "-replace=roundrobin_security_group.web",
    "-auto-approve",
    "-no-color",
    "-input=false",
];

#[tokio::test]
async fn ctrl_c_while_a_refresh_waits_out_aws_lag_keeps_the_state() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!("{PROVIDER}{CONFIG}"))?;
    workspace.apply()?;
    let state_path = workspace.path().join("terraform.tfstate");

    // A plan, and the refreshes that write the state, each interrupted
    // while ReadResource waits for the group to show. The provider waits
    // only for a group it made a moment ago: each gets a new one.
    for (args, stops_provider) in [
        (&["plan", "-no-color", "-input=false"][..], true),
        (&["refresh", "-no-color", "-input=false"][..], true),
        // Terraform 1.11 does not send StopProvider while `apply` plans
        // (its log shows no "run context exists, stopping"): the read waits
        // out its bound, then Terraform stops before writing anything.
        (
            &[
                "apply",
                "-refresh-only",
                "-auto-approve",
                "-no-color",
                "-input=false",
            ][..],
            false,
        ),
    ] {
        set_delay(&moto, 0.0)?;
        let replaced = workspace.run(&REPLACE)?;
        assert!(replaced.success(), "{replaced}");
        let applied = read(&state_path)?;
        // The group, made seconds ago, is invisible again to reads by id.
        set_delay(&moto, HIDDEN_FOR)?;
        moto.control("POST", "calls/reset", serde_json::json!({}))?;
        let running = workspace.start(args)?;
        interrupt_while_the_read_waits(&moto, running, &workspace, stops_provider).await?;
        assert_eq!(
            read(&state_path)?,
            applied,
            "terraform {} changed the state",
            args.join(" ")
        );
    }

    // Once AWS shows the group again, the state still holds it: nothing to
    // create, nothing to change.
    set_delay(&moto, 0.0)?;
    assert_no_changes(&workspace)?;
    workspace.destroy()?;
    Ok(())
}

/// Waits until the emulator has answered a read of the group with its
/// "not found", then presses Ctrl-C and checks what terraform reports.
async fn interrupt_while_the_read_waits(
    moto: &MotoServer,
    running: Running,
    workspace: &Workspace,
    stops_provider: bool,
) -> Result<()> {
    eventually_within(
        "a read of the group answered NotFound",
        Duration::from_secs(60),
        || async {
            let calls = moto.control("GET", "calls", serde_json::json!({}))?;
            match calls["lagging"]["ec2:DescribeSecurityGroups"].as_u64() {
                Some(n) if n >= 1 => Ok(()),
                _ => bail!("no lagging read yet: {calls}"),
            }
        },
    )
    .await?;
    running.interrupt()?;
    let interrupted = running.finish(workspace.timeout())?;
    assert!(!interrupted.success(), "{interrupted}");
    assert_no_crash(&interrupted);
    // Terraform wraps diagnostics to the terminal's width.
    let text = interrupted
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Interrupt received"), "{interrupted}");
    if !stops_provider {
        return Ok(());
    }
    assert!(
        text.contains("Stopped while waiting for AWS to show a resource"),
        "{interrupted}"
    );
    assert!(
        text.contains("its state is kept as it was"),
        "{interrupted}"
    );
    assert!(!text.contains("has been deleted"), "{interrupted}");
    Ok(())
}

fn set_delay(moto: &MotoServer, seconds: f64) -> Result<()> {
    moto.control(
        "POST",
        "timing",
        serde_json::json!({ "consistency_delay_seconds": seconds }),
    )?;
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}
