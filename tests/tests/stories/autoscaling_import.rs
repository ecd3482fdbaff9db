//! An autoscaling group made by Terraform, forgotten and imported back by
//! name, plans no changes; one deleted behind Terraform's back is recreated.
//!
//! Emulated behaviour relied on: moto's autoscaling groups with launch
//! templates, instances spread over the subnets (emulator), and target
//! group-free groups reporting InService at once.

use anyhow::Result;
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_changes};

fn group(image: &str) -> String {
    format!(
        r#"{PROVIDER}
data "roundrobin_default_network" "this" {{}}

resource "roundrobin_launch_template" "app" {{
  name          = "imported-app"
  image_id      = "{image}"
  instance_type = "t3.micro"
}}

resource "roundrobin_autoscaling_group" "app" {{
  name                = "imported-app"
  min_size            = 2
  max_size            = 4
  vpc_zone_identifier = slice(data.roundrobin_default_network.this.subnet_ids, 0, 2)
  health_check_type   = "EC2"

  launch_template {{
    id      = roundrobin_launch_template.app.id
    version = roundrobin_launch_template.app.latest_version
  }}

  tag {{
    key   = "app"
    value = "imported-app"
  }}
}}
"#
    )
}

#[tokio::test]
async fn a_group_is_imported_by_name_without_changes() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&group(&image))?;
    workspace.apply()?;

    workspace.run(&["state", "rm", "roundrobin_autoscaling_group.app"])?;
    workspace.import("roundrobin_autoscaling_group.app", "imported-app")?;
    assert_no_changes(&workspace)?;

    let asg = aws_sdk_autoscaling::Client::new(&moto.sdk_config().await);
    asg.delete_auto_scaling_group()
        .auto_scaling_group_name("imported-app")
        .force_delete(true)
        .send()
        .await?;
    let plan = workspace.plan_detailed()?;
    assert_eq!(
        plan.code,
        Some(2),
        "a deleted group is planned again:\n{plan}"
    );
    assert!(
        plan.stdout
            .contains("roundrobin_autoscaling_group.app will be created"),
        "{plan}"
    );
    workspace.apply()?;
    assert_no_changes(&workspace)
}
