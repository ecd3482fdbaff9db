//! Two AWS behaviours the emulator now follows, as the provider meets them:
//!
//! - An autoscaling group made elsewhere a moment ago is not yet in
//!   DescribeAutoScalingGroups' answer (eventual consistency), so the
//!   provider's look-up of the name misses it; CreateAutoScalingGroup then
//!   refuses the name with `AlreadyExists` (Auto Scaling API reference), and
//!   the apply stops naming the import, with the other group untouched.
//! - Tags changed on a launch template with CreateTags show in
//!   DescribeLaunchTemplates: a tag added by hand is drift the plan shows
//!   and the apply takes off, and tags changed in the configuration are
//!   updated in place with nothing left to change.
//!
//! Emulated behaviour relied on: `consistency_delay_seconds` hiding a young
//! group from DescribeAutoScalingGroups by name (`consistency/`), and the
//! `calls` counts; `autoscaling/unique_names.py`;
//! `ec2/launch_template_tags.py`.

use anyhow::{Context, Result, bail};
use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use aws_sdk_ec2::types::{RequestLaunchTemplateData, Tag};
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};
use serde_json::json;

use crate::support::{
    PROVIDER, assert_no_changes, assert_no_crash, eventually_within, launch_template_named, tag,
};

/// Seconds a new object stays invisible: long enough for terraform to
/// start and look the name up while the group is hidden.
const LAG_SECONDS: u64 = 30;

#[tokio::test]
async fn a_group_made_elsewhere_a_moment_ago_is_refused_by_aws_and_not_taken_over() -> Result<()> {
    let moto = MotoServer::start()?;
    moto.control(
        "POST",
        "timing",
        json!({ "consistency_delay_seconds": LAG_SECONDS }),
    )?;
    let ec2 = moto.ec2_client().await;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    let template = ec2
        .create_launch_template()
        .launch_template_name("other-stack")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(&image)
                .build(),
        )
        .send()
        .await?
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .context("no template")?
        .to_owned();
    // The other stack's template is visible before its group is made.
    let bound = std::time::Duration::from_secs(LAG_SECONDS * 3);
    eventually_within("the template visible", bound, || async {
        ec2.describe_launch_templates()
            .launch_template_ids(&template)
            .send()
            .await?;
        Ok(())
    })
    .await?;
    let subnets = crate::import_round_trip::default_subnets(&ec2).await?.1;
    let autoscaling = aws_sdk_autoscaling::Client::new(&moto.sdk_config().await);
    moto.control("POST", "calls/reset", json!({}))?;
    autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .min_size(0)
        .max_size(1)
        .desired_capacity(0)
        .vpc_zone_identifier(subnets.join(","))
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_id(&template)
                .version("1")
                .build(),
        )
        .send()
        .await?;

    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!(
        r#"{PROVIDER}
resource "roundrobin_autoscaling_group" "web" {{
  name                = "web"
  min_size            = 0
  max_size            = 3
  desired_capacity    = 0
  vpc_zone_identifier = {subnets:?}

  launch_template {{
    id      = "{template}"
    version = "1"
  }}
}}
"#
    ))?;
    let failed = workspace.apply_expecting_failure()?;

    assert_no_crash(&failed);
    let calls = moto.control("GET", "calls", json!({}))?;
    assert_eq!(
        calls["calls"]["autoscaling:CreateAutoScalingGroup"], 2,
        "the other stack's create and the provider's, after its look-up missed the young group: {calls}"
    );
    let text = failed.combined();
    assert!(
        text.contains("autoscaling group \"web\" already exists"),
        "{failed}"
    );
    assert!(
        text.contains("terraform import 'roundrobin_autoscaling_group.NAME' 'web'"),
        "{failed}"
    );
    let state = workspace.run(&["state", "list"])?;
    assert!(
        !state.stdout.contains("roundrobin_autoscaling_group"),
        "{state}"
    );
    // The other stack's group is as it made it.
    eventually_within("the other group visible", bound, || async {
        let groups = autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names("web")
            .send()
            .await?;
        match groups.auto_scaling_groups().first() {
            Some(group) => {
                assert_eq!(group.max_size(), Some(1));
                Ok(())
            }
            None => bail!("not visible yet"),
        }
    })
    .await
}

#[tokio::test]
async fn launch_template_tags_changed_by_hand_are_drift_and_tag_changes_apply_in_place()
-> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);
    let workspace = Workspace::new(&moto)?;
    let config = |tags: &str| {
        format!(
            r#"{PROVIDER}
resource "roundrobin_launch_template" "web" {{
  name          = "web"
  image_id      = "{image}"
  instance_type = "t3.micro"
  tags          = {{ {tags} }}
}}
"#
        )
    };
    workspace.write_config(&config(r#"app = "web""#))?;
    workspace.apply()?;
    let id = launch_template_named(&ec2, "web")
        .await?
        .and_then(|t| t.launch_template_id().map(str::to_owned))
        .context("no template")?;

    // A tag added by hand: the plan shows it going, the apply takes it off.
    ec2.create_tags()
        .resources(&id)
        .tags(Tag::builder().key("owner").value("ops").build())
        .send()
        .await?;
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "{plan}");
    let words = plan.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("- \"owner\" = \"ops\" -> null"), "{plan}");
    workspace.apply()?;
    let template = launch_template_named(&ec2, "web")
        .await?
        .context("no template")?;
    assert_eq!(tag(template.tags(), "owner"), None);
    assert_eq!(tag(template.tags(), "app"), Some("web"));
    assert_no_changes(&workspace)?;

    // Tags changed in the configuration: one in-place update, then nothing.
    workspace.write_config(&config(r#"app = "web", tier = "front""#))?;
    let apply = workspace.apply()?;
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{apply}"
    );
    let template = launch_template_named(&ec2, "web")
        .await?
        .context("no template")?;
    assert_eq!(tag(template.tags(), "tier"), Some("front"));
    assert_no_changes(&workspace)?;
    workspace.destroy()?;
    Ok(())
}
