//! AWS saying no, or "slow down": the user reads AWS's own error code and
//! message in a diagnostic, and throttling is retried rather than failed.
//!
//! Emulated behaviour relied on: the emulator's fault injection
//! (`/_emulator/faults`) for AWS's refusals and throttling; a group of the
//! same name made through the EC2 API.

use anyhow::Result;
use e2e::{MotoServer, Workspace};
use serde_json::json;

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash};

fn group(name: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "roundrobin_security_group" "web" {{
  name = "{name}"
}}
"#
    )
}

#[tokio::test]
async fn an_aws_refusal_is_shown_with_its_code_in_a_diagnostic() -> Result<()> {
    let moto = MotoServer::start()?;
    moto.control(
        "POST",
        "faults",
        json!({"service": "ec2", "action": "CreateSecurityGroup", "error_code": "InvalidParameterValue", "message": "Value (web) for parameter GroupName is invalid.", "http_status": 400, "times": -1}),
    )?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&group("web"))?;

    let failed = workspace.apply_expecting_failure()?;

    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(
        text.contains("InvalidParameterValue"),
        "the AWS error code is shown:\n{failed}"
    );
    assert!(
        text.contains("creating security group"),
        "what was being done is said:\n{failed}"
    );
    Ok(())
}

/// A group of the same name made outside this configuration is never taken
/// over: the apply stops before any create, naming the import that adopts it.
#[tokio::test]
async fn a_group_name_taken_outside_terraform_names_its_import() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let made = ec2
        .create_security_group()
        .group_name("taken")
        .description("made by hand")
        .send()
        .await?;
    let id = made.group_id().unwrap_or_default().to_owned();
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&group("taken"))?;

    let failed = workspace.apply_expecting_failure()?;

    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(text.contains("already exists"), "{failed}");
    assert!(
        text.contains(&format!(
            "terraform import 'roundrobin_security_group.NAME' '{id}'"
        )),
        "{failed}"
    );
    Ok(())
}

#[tokio::test]
async fn throttling_is_retried_and_the_apply_succeeds() -> Result<()> {
    let moto = MotoServer::start()?;
    moto.control(
        "POST",
        "faults",
        json!({"service": "ec2", "action": "CreateSecurityGroup", "error_code": "RequestLimitExceeded", "message": "Request limit exceeded.", "http_status": 400, "times": 2}),
    )?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&group("web"))?;

    workspace.apply()?;

    let calls = moto.control("GET", "calls", json!({}))?;
    assert_eq!(
        calls["calls"]["ec2:CreateSecurityGroup"], 3,
        "two throttled attempts, then success: {calls}"
    );
    assert_no_changes(&workspace)
}
