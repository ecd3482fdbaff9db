//! A group whose configuration leaves `desired_capacity` out is scaled by
//! someone else (a scaling policy, a person) between a saved plan and its
//! apply: the plan said "known after apply", so the apply passes with the
//! capacity AWS holds, and the next plan is empty.
//!
//! Emulated behaviour relied on: SetDesiredCapacity; UpdateAutoScalingGroup
//! without DesiredCapacity keeping the current capacity; groups without
//! target groups reporting their instances InService.

use anyhow::{Context, Result};
use aws_sdk_autoscaling::Client as Autoscaling;
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_changes};

const NAME: &str = "scaled-by-hand";

fn group(image: &str, max_size: u32) -> String {
    format!(
        r#"{PROVIDER}
data "roundrobin_default_network" "net" {{}}

resource "roundrobin_launch_template" "app" {{
  name          = "{NAME}"
  image_id      = "{image}"
  instance_type = "t3.micro"
}}

resource "roundrobin_autoscaling_group" "app" {{
  name                = "{NAME}"
  min_size            = 1
  max_size            = {max_size}
  vpc_zone_identifier = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
  health_check_type   = "EC2"

  launch_template {{
    id      = roundrobin_launch_template.app.id
    version = roundrobin_launch_template.app.latest_version
  }}
}}
"#
    )
}

#[tokio::test]
async fn a_capacity_changed_between_plan_and_apply_is_kept() -> Result<()> {
    let moto = MotoServer::start()?;
    let config = moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let autoscaling = Autoscaling::new(&config);
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&group(&image, 3))?;
    workspace.apply()?;

    workspace.write_config(&group(&image, 4))?;
    let plan = workspace.run(&["plan", "-out=saved.tfplan", "-no-color", "-input=false"])?;
    assert_eq!(plan.code, Some(0), "{plan}");
    assert!(
        plan.stdout.contains("desired_capacity") && plan.stdout.contains("(known after apply)"),
        "an updated group plans its capacity unknown:\n{plan}"
    );

    autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name(NAME)
        .desired_capacity(2)
        .send()
        .await?;

    let applied = workspace.run(&["apply", "-no-color", "-input=false", "saved.tfplan"])?;
    assert_eq!(applied.code, Some(0), "{applied}");
    let groups = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(NAME)
        .send()
        .await?;
    let group = groups
        .auto_scaling_groups()
        .first()
        .context("the group is gone")?;
    assert_eq!(
        group.desired_capacity(),
        Some(2),
        "the capacity set by hand is kept"
    );
    assert_eq!(group.max_size(), Some(4));
    let state = workspace.state_show("roundrobin_autoscaling_group.app")?;
    assert!(
        state.stdout.contains("desired_capacity") && state.stdout.contains("= 2"),
        "{state}"
    );
    assert_no_changes(&workspace)?;
    workspace.destroy()?;
    Ok(())
}
