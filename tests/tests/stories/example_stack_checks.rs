//! The example stack's own checks: `terraform test` with the test file
//! shipped in `terraform/tests/`, and `-refresh-only` on the applied stack
//! (nothing to record when nothing changed; a change made outside Terraform
//! recorded in the state without touching the infrastructure).
//!
//! Emulated behaviour relied on: everything `example_stack` relies on; EC2
//! CreateTags on a security group, shown by DescribeSecurityGroups.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_ec2::types::Tag;
use e2e::ec2::{Inventory, amazon_image_ids};
use e2e::{MotoServer, Workspace, example_dir};

use crate::support::{assert_no_changes, security_group_named, tag};

/// Tags an image as `baker build` does: the app, the port and the health
/// path it was baked with. (The stack is told its id: the data source looks
/// for baked images among the account's own, and this one is Amazon's.)
async fn bake(ec2: &aws_sdk_ec2::Client, image: &str) -> Result<()> {
    let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
    ec2.create_tags()
        .resources(image)
        .tags(tag("app", "nodeapp"))
        .tags(tag("app-port", "8080"))
        .tags(tag("health-path", "/health"))
        .send()
        .await?;
    Ok(())
}

/// The example stack's configuration and its `tests/*.tftest.hcl` files.
fn copy_example_with_tests(workspace: &Workspace) -> Result<()> {
    let example = example_dir();
    workspace.copy_config_from(&example)?;
    let tests = example.join("tests");
    std::fs::create_dir_all(workspace.path().join("tests"))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(&tests).with_context(|| format!("reading {tests:?}"))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".tftest.hcl") {
            std::fs::copy(&path, workspace.path().join("tests").join(name))?;
            copied += 1;
        }
    }
    assert!(copied > 0, "no .tftest.hcl file in {}", tests.display());
    Ok(())
}

#[tokio::test]
async fn terraform_test_plans_applies_checks_and_destroys_the_example_stack() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    bake(&ec2, &image).await?;
    let mut workspace = Workspace::new(&moto)?;
    workspace.set_timeout(Duration::from_secs(600));
    copy_example_with_tests(&workspace)?;

    let image_var = format!("image_id={image}");
    let tested = workspace.run(&["test", "-no-color", "-var", &image_var])?;
    assert!(tested.success(), "{tested}");
    let text = tested.combined();
    assert!(
        text.contains("plan_routes_to_the_port_the_image_was_baked_with\"... pass"),
        "{tested}"
    );
    assert!(text.contains("apply_makes_the_stack\"... pass"), "{tested}");
    assert!(text.contains("2 passed, 0 failed"), "{tested}");

    // terraform test destroys what it made, and keeps no state here.
    let left = Inventory::take(&ec2).await?;
    assert!(left.is_empty(), "left behind: {left}");
    assert!(!Path::new(&workspace.path().join("terraform.tfstate")).exists());
    Ok(())
}

/// `terraform apply -refresh-only`: record what AWS has in the state.
const REFRESH: [&str; 5] = [
    "apply",
    "-refresh-only",
    "-auto-approve",
    "-no-color",
    "-input=false",
];

/// The resources of the state file, without its serial and check results.
fn resources_in_state(workspace: &Workspace) -> Result<serde_json::Value> {
    let path = workspace.path().join("terraform.tfstate");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path:?}"))?;
    let state: serde_json::Value = serde_json::from_str(&text)?;
    Ok(state["resources"].clone())
}

#[tokio::test]
async fn refresh_only_shows_only_what_changed_outside_terraform_and_changes_nothing() -> Result<()>
{
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    bake(&ec2, &image).await?;
    let mut workspace = Workspace::new(&moto)?;
    workspace.set_timeout(Duration::from_secs(600));
    workspace.copy_config_from(&example_dir())?;
    // Every command below, -refresh-only ones included, reads it.
    workspace.write_file("terraform.tfvars", &format!("image_id = \"{image}\"\n"))?;
    workspace.apply()?;

    // Nothing changed: nothing to record, and the refresh leaves every
    // resource in the state as it was. (With this configuration Terraform
    // 1.11's -detailed-exitcode answers 2 for a refresh-only plan even then:
    // the refresh-only apply rewrites only the serial and the order of the
    // check results. The text and the resources in the state are the judges.)
    let refresh_plan = ["plan", "-refresh-only", "-no-color", "-input=false"];
    let unchanged = workspace.run(&refresh_plan)?;
    assert!(unchanged.success(), "{unchanged}");
    assert!(unchanged.stdout.contains("No changes."), "{unchanged}");
    let before = resources_in_state(&workspace)?;
    let applied = workspace.run(&REFRESH)?;
    assert!(applied.success(), "{applied}");
    assert!(applied.stdout.contains("No changes."), "{applied}");
    assert_eq!(resources_in_state(&workspace)?, before);

    // Someone tags the load balancer's security group by hand.
    let alb = security_group_named(&ec2, "nodeapp-alb").await?;
    let alb_id = alb.group_id().context("the group has no id")?.to_owned();
    ec2.create_tags()
        .resources(&alb_id)
        .tags(Tag::builder().key("owner").value("ops").build())
        .send()
        .await?;

    let changed = workspace.run(&refresh_plan)?;
    assert!(changed.success(), "{changed}");
    let text = changed
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Objects have changed outside of Terraform"),
        "{changed}"
    );
    assert!(
        text.contains("roundrobin_security_group.alb has changed"),
        "{changed}"
    );
    assert!(text.contains("+ \"owner\" = \"ops\""), "{changed}");
    assert!(!text.contains("roundrobin_lb.app has changed"), "{changed}");

    let recorded = workspace.run(&REFRESH)?;
    assert!(recorded.success(), "{recorded}");
    // The state has the tag; AWS still has it: nothing was changed there.
    let state = workspace.state_show("roundrobin_security_group.alb")?;
    assert!(state.stdout.contains("\"owner\""), "{state}");
    let alb = security_group_named(&ec2, "nodeapp-alb").await?;
    assert_eq!(tag(alb.tags(), "owner"), Some("ops"));
    // A refresh-only plan now has nothing more to record...
    let settled = workspace.run(&refresh_plan)?;
    assert!(settled.stdout.contains("No changes."), "{settled}");
    // ... and a normal plan proposes to take the tag off again, as the
    // configuration says.
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "{plan}");
    let words = plan.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("- \"owner\" = \"ops\" -> null"), "{plan}");

    ec2.delete_tags()
        .resources(&alb_id)
        .tags(Tag::builder().key("owner").build())
        .send()
        .await?;
    workspace.apply()?;
    assert_no_changes(&workspace)?;
    workspace.destroy()?;
    Ok(())
}
