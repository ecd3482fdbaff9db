//! The firewall over its life: a rule removed by hand is put back, and a group
//! made by hand is adopted with `terraform import`.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::{IpPermission, IpRange, Tag};
use e2e::ec2::default_vpc_id;
use e2e::{MotoServer, Workspace};

use crate::support::{
    AppliedStack, GROUP, assert_no_changes, eventually, ingress_rules, security_group_named,
    tcp_from,
};

fn http_from_anywhere() -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build()
}

#[tokio::test]
async fn an_ingress_rule_revoked_out_of_band_is_put_back() -> Result<()> {
    let AppliedStack {
        workspace,
        ec2,
        moto: _moto,
        ..
    } = AppliedStack::start().await?;
    let group = security_group_named(&ec2, GROUP).await?;
    let group_id = group.group_id().context("group without id")?;

    ec2.revoke_security_group_ingress()
        .group_id(group_id)
        .ip_permissions(http_from_anywhere())
        .send()
        .await?;
    let group = security_group_named(&ec2, GROUP).await?;
    assert!(
        ingress_rules(&group).is_empty(),
        "the rule is gone: {group:?}"
    );

    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "expected the drift to show:\n{plan}");
    assert!(
        plan.stdout
            .contains("roundrobin_security_group.web will be updated in-place"),
        "{plan}"
    );
    assert!(plan.stdout.contains("ingress"), "{plan}");

    workspace.apply()?;

    let group = security_group_named(&ec2, GROUP).await?;
    assert_eq!(group.group_id(), Some(group_id), "same group");
    assert_eq!(ingress_rules(&group), [tcp_from(80, "0.0.0.0/0")]);
    assert_no_changes(&workspace)
}

/// This story also configures the endpoint in the provider block instead of
/// through `AWS_ENDPOINT_URL`.
#[tokio::test]
async fn a_group_made_by_hand_is_imported_without_changes() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let mut workspace = Workspace::new(&moto)?;
    workspace.remove_env("AWS_ENDPOINT_URL");

    let created = ec2
        .create_security_group()
        .group_name("hand-made")
        .description("made by hand")
        .vpc_id(default_vpc_id(&ec2).await?)
        .send()
        .await?;
    let group_id = created
        .group_id()
        .context("CreateSecurityGroup returned no id")?;
    // Writes naming a new group can answer NotFound for a few seconds too
    // (the realism mode does), as they would for a user in the console.
    let https_from_office = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip("10.0.0.0/8")
                .description("https from the office")
                .build(),
        )
        .build();
    let authorize = ec2
        .authorize_security_group_ingress()
        .group_id(group_id)
        .ip_permissions(https_from_office);
    eventually("adding the hand-made rule", || async {
        Ok(authorize.clone().send().await?)
    })
    .await?;
    let tag = ec2
        .create_tags()
        .resources(group_id)
        .tags(Tag::builder().key("team").value("platform").build());
    eventually("tagging the hand-made group", || async {
        Ok(tag.clone().send().await?)
    })
    .await?;

    workspace.write_config(&format!(
        r#"
terraform {{
  required_providers {{
    roundrobin = {{ source = "roundrobin/roundrobin" }}
  }}
}}

provider "roundrobin" {{
  region   = "us-east-1"
  endpoint = "{endpoint}"
}}

resource "roundrobin_security_group" "x" {{
  name        = "hand-made"
  description = "made by hand"

  ingress {{
    description = "https from the office"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }}

  tags = {{
    team = "platform"
  }}
}}
"#,
        endpoint = moto.endpoint()
    ))?;
    eventually("the group visible to DescribeSecurityGroups", || async {
        ec2.describe_security_groups()
            .group_ids(group_id)
            .send()
            .await
            .map(drop)
            .map_err(anyhow::Error::from)
    })
    .await?;
    workspace.import("roundrobin_security_group.x", group_id)?;

    let state = workspace.state_show("roundrobin_security_group.x")?;
    assert!(state.stdout.contains(group_id), "{state}");
    assert!(state.stdout.contains("https from the office"), "{state}");
    assert_no_changes(&workspace)
}
