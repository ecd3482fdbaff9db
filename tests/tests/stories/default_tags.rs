//! `default_tags` in the provider block, as AWS-provider users know it: every
//! resource with `tags` is tagged with the defaults merged with its own (its
//! own win), `tags_all` shows the merge, a default changed by hand is drift,
//! and a new default is an in-place update.
//!
//! Emulated behaviour relied on: moto's EC2 tags on security groups
//! (CreateTags / DeleteTags / DescribeSecurityGroups).

use anyhow::Result;
use aws_sdk_ec2::types::Tag as Ec2Tag;
use e2e::{MotoServer, Workspace};

use crate::support::{assert_no_changes, security_group_named};

fn config(defaults: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    roundrobin = {{ source = "roundrobin/roundrobin" }}
  }}
}}

provider "roundrobin" {{
  region = "us-east-1"
  default_tags {{
    tags = {{ {defaults} }}
  }}
}}

resource "roundrobin_security_group" "web" {{
  name        = "web"
  description = "web servers"
  tags = {{
    app  = "nodeapp"
    team = "web"
  }}
}}

output "tags_all" {{
  value = roundrobin_security_group.web.tags_all
}}
"#
    )
}

fn tags_of(group: &aws_sdk_ec2::types::SecurityGroup) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = group
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    tags.sort();
    tags
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[tokio::test]
async fn default_tags_are_merged_shown_in_tags_all_and_kept_in_step() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&config(r#"env = "prod", team = "platform""#))?;
    workspace.apply()?;
    assert_no_changes(&workspace)?;

    let group = security_group_named(&ec2, "web").await?;
    assert_eq!(
        tags_of(&group),
        [
            pair("app", "nodeapp"),
            pair("env", "prod"),
            pair("team", "web")
        ],
        "the resource's own tags win"
    );
    let outputs = workspace.output_json()?;
    assert_eq!(
        outputs["tags_all"]["value"],
        serde_json::json!({"app": "nodeapp", "env": "prod", "team": "web"})
    );

    // A default tag changed by hand is drift, planned back.
    let id = group.group_id().unwrap_or_default().to_string();
    ec2.create_tags()
        .resources(&id)
        .tags(Ec2Tag::builder().key("env").value("dev").build())
        .send()
        .await?;
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "{plan}");
    workspace.apply()?;
    let group = security_group_named(&ec2, "web").await?;
    assert!(tags_of(&group).contains(&pair("env", "prod")));
    assert_no_changes(&workspace)?;

    // AWS's own tags are not ours to manage.
    ec2.create_tags()
        .resources(&id)
        .tags(
            Ec2Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("x")
                .build(),
        )
        .send()
        .await?;
    assert_no_changes(&workspace)?;

    // A new default reaches the resource in place.
    workspace.write_config(&config(r#"env = "prod", cost-center = "42""#))?;
    let plan = workspace.plan()?;
    assert!(plan.stdout.contains("updated in-place"), "{plan}");
    workspace.apply()?;
    let group = security_group_named(&ec2, "web").await?;
    let tags = tags_of(&group);
    assert!(tags.contains(&pair("cost-center", "42")), "{tags:?}");
    assert_no_changes(&workspace)?;
    Ok(())
}
