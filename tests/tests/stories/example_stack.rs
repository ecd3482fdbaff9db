//! The example in `terraform/` works as shipped: apply with a baked image,
//! nothing to change afterwards, nothing left after destroy.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::LaunchTemplateHttpTokensState;
use e2e::ec2::{Inventory, amazon_image_ids};
use e2e::{MotoServer, Workspace, example_dir};

use crate::support::{
    assert_no_changes, ingress_rules, launch_template_named, security_group_named, tag, tcp_from,
    template_data,
};

#[tokio::test]
async fn the_example_stack_applies_is_stable_and_destroys_cleanly() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let mut workspace = Workspace::new(&moto)?;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    workspace.copy_config_from(&example_dir())?;
    workspace.set_var("image_id", &image);
    // An Amazon image, not baked by baker: no app-port / health-path tags.
    workspace.set_var("app_port", "8080");
    workspace.set_var("health_path", "/health");

    workspace.apply()?;

    let outputs = workspace.output_json()?;
    let output = |name: &str| outputs[name]["value"].clone();
    let group_id = output("security_group_id");
    let template_id = output("launch_template_id");
    assert!(
        group_id.as_str().is_some_and(|id| id.starts_with("sg-")),
        "{outputs}"
    );
    assert!(
        template_id.as_str().is_some_and(|id| id.starts_with("lt-")),
        "{outputs}"
    );
    assert_eq!(output("launch_template_version"), "1", "{outputs}");

    let group = security_group_named(&ec2, "nodeapp-instances").await?;
    assert_eq!(group.group_id(), group_id.as_str());
    let alb = security_group_named(&ec2, "nodeapp-alb").await?;
    let alb_id = alb.group_id().unwrap_or_default();
    assert_eq!(
        ingress_rules(&group),
        [tcp_from(8080, alb_id)],
        "the app port only from the load balancer"
    );
    assert_eq!(ingress_rules(&alb), [tcp_from(80, "0.0.0.0/0")]);
    assert_eq!(tag(group.tags(), "app"), Some("nodeapp"));

    let template = launch_template_named(&ec2, "nodeapp")
        .await?
        .context("the launch template was not created")?;
    assert_eq!(template.launch_template_id(), template_id.as_str());
    let data = template_data(&ec2, template_id.as_str().unwrap_or_default(), 1).await?;
    assert_eq!(data.image_id(), Some(image.as_str()));
    assert!(data.key_name().is_none(), "no key pair");
    assert_eq!(
        data.metadata_options().and_then(|m| m.http_tokens()),
        Some(&LaunchTemplateHttpTokensState::Required),
        "IMDSv2 only"
    );

    assert_no_changes(&workspace)?;

    workspace.destroy()?;
    let left = Inventory::take(&ec2).await?;
    assert!(left.is_empty(), "left behind: {left}");
    Ok(())
}

/// Tags an image the way `baker build` does: the port and health path the
/// app was baked with.
async fn tag_as_baked(ec2: &aws_sdk_ec2::Client, image: &str, port: &str) -> Result<()> {
    ec2.create_tags()
        .resources(image)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("app-port")
                .value(port)
                .build(),
        )
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("health-path")
                .value("/health")
                .build(),
        )
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn the_stack_routes_to_the_port_the_image_was_baked_with() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let images = amazon_image_ids(&ec2, 2).await?;
    tag_as_baked(&ec2, &images[0], "8080").await?;
    let mut workspace = Workspace::new(&moto)?;
    workspace.copy_config_from(&example_dir())?;
    workspace.set_var("image_id", &images[0]);
    workspace.apply()?;

    let outputs = workspace.output_json()?;
    assert_eq!(outputs["app_port"]["value"], 8080, "{outputs}");
    let group = security_group_named(&ec2, "nodeapp-instances").await?;
    let alb = security_group_named(&ec2, "nodeapp-alb").await?;
    assert_eq!(
        ingress_rules(&group),
        [tcp_from(8080, alb.group_id().unwrap_or_default())]
    );
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&moto.sdk_config().await);
    let groups = elb.describe_target_groups().names("nodeapp").send().await?;
    let target_group = groups.target_groups().first().context("no target group")?;
    assert_eq!(target_group.port(), Some(8080));
    assert_eq!(target_group.health_check_path(), Some("/health"));

    // Routing elsewhere than the image listens is refused before any change.
    workspace.set_var("app_port", "3000");
    let refused = workspace.plan_expecting_failure()?;
    assert!(
        refused
            .combined()
            .contains("differs from the port the image"),
        "{refused}"
    );

    // An image that says nothing about its port needs it said explicitly.
    workspace.remove_var("app_port");
    workspace.set_var("image_id", &images[1]);
    let refused = workspace.plan_expecting_failure()?;
    assert!(refused.combined().contains("has no app-port"), "{refused}");

    workspace.set_var("image_id", &images[0]);
    assert_no_changes(&workspace)?;
    workspace.destroy()?;
    Ok(())
}
