//! Mistakes in the configuration get a clear diagnostic naming the field, the
//! provider does not fall over, and nothing is half-created.

use anyhow::Result;
use e2e::ec2::Inventory;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_crash};

/// A group whose single ingress rule has the given ports.
fn group_with_ports(from_port: i64, to_port: i64) -> String {
    format!(
        r#"{PROVIDER}
resource "roundrobin_security_group" "web" {{
  name = "web"

  ingress {{
    from_port   = {from_port}
    to_port     = {to_port}
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}
"#
    )
}

async fn assert_nothing_created(moto: &MotoServer) -> Result<()> {
    let inventory = Inventory::take(&moto.ec2_client().await).await?;
    assert!(inventory.is_empty(), "half-created: {inventory}");
    Ok(())
}

#[tokio::test]
async fn a_port_out_of_range_is_refused_at_plan_naming_from_port() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&group_with_ports(99999, 99999))?;

    let plan = workspace.plan_expecting_failure()?;

    let text = plan.combined();
    assert!(text.contains("from_port"), "{plan}");
    assert!(text.contains("65535"), "the valid range is given:\n{plan}");
    assert_no_crash(&plan);
    assert_nothing_created(&moto).await
}

#[tokio::test]
async fn from_port_above_to_port_is_refused_and_nothing_is_created() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&group_with_ports(8080, 80))?;

    let apply = workspace.apply_expecting_failure()?;

    let text = apply.combined();
    assert!(
        text.contains("from_port") || text.contains("to_port"),
        "{apply}"
    );
    assert_no_crash(&apply);
    assert_nothing_created(&moto).await
}

#[tokio::test]
async fn a_provider_without_a_region_says_region_is_missing() -> Result<()> {
    let moto = MotoServer::start()?;
    let mut workspace = Workspace::new(&moto)?;
    workspace
        .remove_env("AWS_REGION")
        .remove_env("AWS_DEFAULT_REGION");
    workspace.write_config(
        r#"
terraform {
  required_providers {
    roundrobin = { source = "roundrobin/roundrobin" }
  }
}

provider "roundrobin" {}

resource "roundrobin_security_group" "web" {
  name = "web"
}
"#,
    )?;

    let plan = workspace.plan_expecting_failure()?;

    assert!(plan.combined().contains("region"), "{plan}");
    assert_no_crash(&plan);
    assert_nothing_created(&moto).await
}

#[tokio::test]
async fn an_unknown_attribute_is_terraforms_own_error() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!(
        r#"{PROVIDER}
resource "roundrobin_security_group" "web" {{
  name   = "web"
  colour = "blue"
}}
"#
    ))?;

    let plan = workspace.plan_expecting_failure()?;

    assert!(plan.combined().contains("colour"), "{plan}");
    assert_no_crash(&plan);
    Ok(())
}
