//! A developer writes a firewall and a launch template for the web servers and
//! applies them; a second plan has nothing to do.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::LaunchTemplateHttpTokensState;
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::{
    GROUP, TEMPLATE, assert_no_changes, ingress_rules, launch_template_named, security_group_named,
    tag, tcp_from, template_data, web_stack,
};

#[tokio::test]
async fn the_web_stack_is_created_as_written_and_then_stable() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let workspace = Workspace::new(&moto)?;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);

    workspace.write_config(&web_stack(&image))?;
    workspace.apply()?;

    let group = security_group_named(&ec2, GROUP).await?;
    let group_id = group.group_id().context("group without id")?;
    assert_eq!(ingress_rules(&group), [tcp_from(80, "0.0.0.0/0")]);
    assert_eq!(group.description(), Some("web servers"));
    assert_eq!(tag(group.tags(), "app"), Some("nodeapp"));
    assert_eq!(
        group.ip_permissions_egress().len(),
        1,
        "the default allow-all egress rule stays: {group:?}"
    );

    let template = launch_template_named(&ec2, TEMPLATE)
        .await?
        .context("the launch template was not created")?;
    let template_id = template
        .launch_template_id()
        .context("template without id")?;
    assert_eq!(template.latest_version_number(), Some(1));
    assert_eq!(template.default_version_number(), Some(1));
    assert_eq!(tag(template.tags(), "app"), Some("nodeapp"));

    let data = template_data(&ec2, template_id, 1).await?;
    assert_eq!(data.image_id(), Some(image.as_str()));
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.micro"));
    assert_eq!(data.security_group_ids(), [group_id.to_owned()]);
    let metadata = data.metadata_options().context("no metadata options")?;
    assert_eq!(
        metadata.http_tokens(),
        Some(&LaunchTemplateHttpTokensState::Required)
    );

    let state = workspace.state_show("roundrobin_launch_template.web")?;
    assert!(state.stdout.contains(template_id), "{state}");

    assert_no_changes(&workspace)
}
