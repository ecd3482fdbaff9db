//! An autoscaling group made with the API on its launch template's
//! `$Default` version imports, with the template, into a configuration that
//! names the version number, and plans no change.
//!
//! Emulated behaviour relied on: moto's autoscaling groups on a launch
//! template's `$Default` version.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::RequestLaunchTemplateData;
use e2e::MotoServer;
use e2e::ec2::amazon_image_ids;

use crate::import_round_trip::{GENERATED, default_subnets, importing, round_trip};
use crate::support::eventually;

/// A launch template and a group on its `$Default` version import into a
/// configuration that names the version number, and plan no change.
#[tokio::test]
async fn a_group_on_the_default_template_version_imports_without_changes() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    let (_, subnets) = default_subnets(&ec2).await?;
    let template = ec2
        .create_launch_template()
        .launch_template_name("by-hand")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(image)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await?
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .context("no launch template")?
        .to_string();
    let asg = aws_sdk_autoscaling::Client::new(&moto.sdk_config().await);
    eventually("the new template taking a group", || async {
        asg.create_auto_scaling_group()
            .auto_scaling_group_name("by-hand")
            .min_size(1)
            .max_size(2)
            .vpc_zone_identifier(subnets.join(","))
            .launch_template(
                aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                    .launch_template_id(&template)
                    .version("$Default")
                    .build(),
            )
            .send()
            .await?;
        anyhow::Ok(())
    })
    .await?;

    let workspace = importing(
        &moto,
        &[
            ("roundrobin_launch_template.imported", &template),
            ("roundrobin_autoscaling_group.imported", "by-hand"),
        ],
    )?;
    round_trip(&workspace, 2).await?;
    let generated = std::fs::read_to_string(workspace.path().join(GENERATED))?;
    assert!(!generated.contains("$Default"), "{generated}");
    Ok(())
}
