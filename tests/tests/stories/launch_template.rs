//! The launch template over its life: a new image becomes a new version, a
//! default version moved back by hand shows in the plan, a template deleted
//! behind Terraform's back comes back, and a template made by hand is adopted
//! with `terraform import`.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplateHttpTokensState, LaunchTemplateInstanceMetadataEndpointState,
    LaunchTemplateInstanceMetadataOptionsRequest, RequestLaunchTemplateData, ResourceType, Tag,
    TagSpecification,
};
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::{
    AppliedStack, PROVIDER, TEMPLATE, assert_no_changes, eventually, launch_template_named,
    template_data, template_versions, web_stack,
};

#[tokio::test]
async fn a_new_image_becomes_the_next_default_version_in_place() -> Result<()> {
    let AppliedStack {
        workspace,
        ec2,
        images,
        moto: _moto,
    } = AppliedStack::start().await?;
    let before = launch_template_named(&ec2, TEMPLATE)
        .await?
        .context("the launch template was not created")?;
    let template_id = before.launch_template_id().context("template without id")?;

    workspace.write_config(&web_stack(&images[1]))?;
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "expected a change:\n{plan}");
    assert!(
        plan.stdout
            .contains("roundrobin_launch_template.web will be updated in-place"),
        "{plan}"
    );
    assert!(!plan.stdout.contains("must be replaced"), "{plan}");
    assert!(plan.stdout.contains(&images[1]), "{plan}");

    workspace.apply()?;

    let after = launch_template_named(&ec2, TEMPLATE)
        .await?
        .context("the launch template is gone")?;
    assert_eq!(
        after.launch_template_id(),
        Some(template_id),
        "same template"
    );
    assert_eq!(template_versions(&ec2, template_id).await?, [1, 2]);
    assert_eq!(after.latest_version_number(), Some(2));
    assert_eq!(after.default_version_number(), Some(2));
    let data = template_data(&ec2, template_id, 2).await?;
    assert_eq!(data.image_id(), Some(images[1].as_str()));

    assert_no_changes(&workspace)
}

#[tokio::test]
async fn a_default_version_moved_back_by_hand_shows_in_the_plan() -> Result<()> {
    let AppliedStack {
        workspace,
        ec2,
        images,
        moto,
    } = AppliedStack::start().await?;
    workspace.write_config(&web_stack(&images[1]))?;
    workspace.apply()?;
    let template = launch_template_named(&ec2, TEMPLATE)
        .await?
        .context("the launch template was not created")?;
    let template_id = template
        .launch_template_id()
        .context("template without id")?;

    // Unchanged, the template's default version is the one the state holds:
    // versions never change, so the refresh does not read it again.
    moto.control("POST", "calls/reset", serde_json::json!({}))?;
    assert_no_changes(&workspace)?;
    let calls = moto.control("GET", "calls", serde_json::json!({}))?;
    assert!(
        calls["calls"]["ec2:DescribeLaunchTemplates"].is_u64(),
        "{calls}"
    );
    assert!(
        calls["calls"]["ec2:DescribeLaunchTemplateVersions"].is_null(),
        "{calls}"
    );

    // Someone makes version 1 (the first image) the default again.
    ec2.modify_launch_template()
        .launch_template_id(template_id)
        .default_version("1")
        .send()
        .await?;
    eventually("version 1 shown as the default", || async {
        let found = launch_template_named(&ec2, TEMPLATE).await?;
        match found.and_then(|t| t.default_version_number()) {
            Some(1) => Ok(()),
            other => anyhow::bail!("default version {other:?}"),
        }
    })
    .await?;
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "expected a change:\n{plan}");
    assert!(
        plan.stdout
            .contains("roundrobin_launch_template.web will be updated in-place"),
        "{plan}"
    );
    assert!(
        plan.stdout.contains(&images[0]),
        "the image version 1 runs: {plan}"
    );

    workspace.apply()?;
    let after = launch_template_named(&ec2, TEMPLATE)
        .await?
        .context("the launch template is gone")?;
    assert_eq!(
        after.default_version_number(),
        Some(3),
        "a new default version"
    );
    let data = template_data(&ec2, template_id, 3).await?;
    assert_eq!(data.image_id(), Some(images[1].as_str()));
    assert_no_changes(&workspace)
}

#[tokio::test]
async fn a_template_deleted_out_of_band_is_planned_again_and_recreated() -> Result<()> {
    let AppliedStack {
        workspace,
        ec2,
        images,
        moto: _moto,
    } = AppliedStack::start().await?;
    let original = launch_template_named(&ec2, TEMPLATE)
        .await?
        .context("the launch template was not created")?;
    let original_id = original
        .launch_template_id()
        .context("template without id")?;

    ec2.delete_launch_template()
        .launch_template_id(original_id)
        .send()
        .await?;

    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "expected a change:\n{plan}");
    assert!(
        plan.stdout
            .contains("roundrobin_launch_template.web will be created"),
        "{plan}"
    );

    workspace.apply()?;

    let recreated = launch_template_named(&ec2, TEMPLATE)
        .await?
        .context("the launch template was not recreated")?;
    let recreated_id = recreated
        .launch_template_id()
        .context("template without id")?;
    assert_ne!(recreated_id, original_id);
    assert_eq!(recreated.latest_version_number(), Some(1));
    let data = template_data(&ec2, recreated_id, 1).await?;
    assert_eq!(data.image_id(), Some(images[0].as_str()));

    assert_no_changes(&workspace)
}

#[tokio::test]
async fn a_template_made_by_hand_is_imported_without_changes() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let workspace = Workspace::new(&moto)?;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);

    let metadata = LaunchTemplateInstanceMetadataOptionsRequest::builder()
        .http_tokens(LaunchTemplateHttpTokensState::Required)
        .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
        .http_put_response_hop_limit(2)
        .build();
    let created = ec2
        .create_launch_template()
        .launch_template_name("hand-made")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(&image)
                .instance_type(InstanceType::T3Small)
                .metadata_options(metadata)
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .tags(Tag::builder().key("team").value("platform").build())
                .build(),
        )
        .send()
        .await?;
    let template_id = created
        .launch_template()
        .and_then(|template| template.launch_template_id())
        .context("CreateLaunchTemplate returned no id")?;

    workspace.write_config(&format!(
        r#"{PROVIDER}
resource "roundrobin_launch_template" "x" {{
  name          = "hand-made"
  image_id      = "{image}"
  instance_type = "t3.small"

  metadata_options {{
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}

  tags = {{
    team = "platform"
  }}
}}
"#
    ))?;
    eventually(
        "the template visible to DescribeLaunchTemplates",
        || async {
            ec2.describe_launch_templates()
                .launch_template_ids(template_id)
                .send()
                .await
                .map(drop)
                .map_err(anyhow::Error::from)
        },
    )
    .await?;
    workspace.import("roundrobin_launch_template.x", template_id)?;

    let state = workspace.state_show("roundrobin_launch_template.x")?;
    assert!(state.stdout.contains(template_id), "{state}");
    assert!(state.stdout.contains(&image), "{state}");
    assert_no_changes(&workspace)
}
