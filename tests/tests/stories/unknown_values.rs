//! Plans that depend on values Terraform only learns during apply: a
//! replace-forcing attribute whose new value is unknown at plan time must be
//! planned as a replacement, or the apply's final plan contradicts the saved
//! one ("Provider produced inconsistent final plan").
//!
//! Emulated behaviour relied on: moto's security groups (a new group gets a
//! new id), launch templates, load balancers and listeners.

use anyhow::Result;
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::load_balancer::stack as load_balancer_stack;
use crate::support::{PROVIDER, assert_no_changes, assert_no_crash};

/// A launch template whose name carries the id of a security group.
fn template_named_after_group(group_name: &str, image: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "roundrobin_security_group" "web" {{
  name        = "{group_name}"
  description = "web servers"
}}

resource "roundrobin_launch_template" "web" {{
  name                   = "web-${{roundrobin_security_group.web.id}}"
  image_id               = "{image}"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [roundrobin_security_group.web.id]
}}
"#
    )
}

#[tokio::test]
async fn a_name_taken_from_a_replaced_group_replaces_the_template() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&template_named_after_group("web", &image))?;
    workspace.apply()?;
    assert_no_changes(&workspace)?;

    // Renaming the group replaces it: its id, and so the template's name,
    // are unknown until the apply.
    workspace.write_config(&template_named_after_group("web-renamed", &image))?;
    let plan = workspace.plan()?;
    assert!(
        plan.stdout
            .contains("roundrobin_launch_template.web must be replaced"),
        "{plan}"
    );
    let applied = workspace.apply()?;
    assert_no_crash(&applied);
    assert_no_changes(&workspace)?;

    let templates = ec2.describe_launch_templates().send().await?;
    let names: Vec<&str> = templates
        .launch_templates()
        .iter()
        .filter_map(|t| t.launch_template_name())
        .collect();
    assert_eq!(names.len(), 1, "the old template is gone: {names:?}");
    let groups = ec2.describe_security_groups().send().await?;
    let group_id = groups
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some("web-renamed"))
        .and_then(|g| g.group_id())
        .unwrap_or_default();
    assert_eq!(names[0], format!("web-{group_id}"));
    Ok(())
}

#[tokio::test]
async fn renaming_the_load_balancer_replaces_its_listener() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    let config = load_balancer_stack(100, 0);
    workspace.write_config(&config)?;
    workspace.apply()?;

    let renamed = config.replace(r#"name         = "web""#, r#"name         = "web-2""#);
    assert_ne!(renamed, config, "the stack names its load balancer \"web\"");
    workspace.write_config(&renamed)?;
    let plan = workspace.plan()?;
    assert!(
        plan.stdout
            .contains("roundrobin_lb_listener.http must be replaced"),
        "{plan}"
    );
    let applied = workspace.apply()?;
    assert_no_crash(&applied);
    assert_no_changes(&workspace)?;
    Ok(())
}

#[tokio::test]
async fn a_region_known_only_at_apply_is_refused_by_name() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(
        r#"
terraform {
  required_providers {
    roundrobin = { source = "roundrobin/roundrobin" }
  }
}

resource "terraform_data" "region" {
  input = "us-east-1"
}

provider "roundrobin" {
  region = terraform_data.region.output
}

resource "roundrobin_security_group" "web" {
  name        = "web"
  description = "web servers"
}
"#,
    )?;
    let refused = workspace.plan_expecting_failure()?;
    assert_no_crash(&refused);
    let text = refused.combined();
    assert!(
        text.contains("Provider setting unknown while planning"),
        "{refused}"
    );
    assert!(text.contains("region"), "{refused}");
    Ok(())
}
