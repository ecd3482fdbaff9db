//! A security group made with the API, holding the rules real accounts
//! hold (IPv4 and IPv6 ranges, a managed prefix list, a rule naming the group
//! itself, an IPv6 egress rule) and a tag, imports through the round trip
//! without changes; the generated configuration keeps every rule's source.
//!
//! Emulated behaviour relied on: moto's security groups with IPv6 ranges,
//! managed prefix lists and group pairs.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::{
    AddPrefixListEntry, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, Tag,
    TagSpecification, UserIdGroupPair,
};
use e2e::MotoServer;

use crate::import_round_trip::{GENERATED, importing, round_trip};
use crate::support::eventually;

#[tokio::test]
async fn a_security_group_with_ipv6_prefix_list_and_group_rules_imports_without_changes()
-> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let tags = TagSpecification::builder()
        .resource_type(ResourceType::SecurityGroup)
        .tags(Tag::builder().key("team").value("web").build())
        .build();
    let group = ec2
        .create_security_group()
        .group_name("made-by-hand")
        .description("made with the API")
        .tag_specifications(tags)
        .send()
        .await?
        .group_id()
        .context("no group id")?
        .to_string();
    let prefix_list = ec2
        .create_managed_prefix_list()
        .prefix_list_name("offices")
        .address_family("IPv4")
        .max_entries(5)
        .entries(AddPrefixListEntry::builder().cidr("192.0.2.0/24").build())
        .send()
        .await?
        .prefix_list()
        .and_then(|p| p.prefix_list_id())
        .context("no prefix list id")?
        .to_string();
    let https = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
        .build();
    let ssh = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(&prefix_list)
                .description("offices")
                .build(),
        )
        .build();
    let peers = IpPermission::builder()
        .ip_protocol("-1")
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&group).build())
        .build();
    eventually("the new group taking ingress rules", || async {
        ec2.authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(https.clone())
            .ip_permissions(ssh.clone())
            .ip_permissions(peers.clone())
            .send()
            .await?;
        anyhow::Ok(())
    })
    .await?;
    let ipv6_out = IpPermission::builder()
        .ip_protocol("-1")
        .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
        .build();
    eventually("the new group taking an egress rule", || async {
        ec2.authorize_security_group_egress()
            .group_id(&group)
            .ip_permissions(ipv6_out.clone())
            .send()
            .await?;
        anyhow::Ok(())
    })
    .await?;
    // Rules just authorized may not show in Describe yet.
    eventually("the rules visible", || async {
        let out = ec2
            .describe_security_groups()
            .group_ids(&group)
            .send()
            .await?;
        let g = out.security_groups().first().context("no group")?;
        anyhow::ensure!(g.ip_permissions().len() == 3 && g.ip_permissions_egress().len() == 1);
        Ok(())
    })
    .await?;

    let workspace = importing(&moto, &[("roundrobin_security_group.imported", &group)])?;
    round_trip(&workspace, 1).await?;
    let generated = std::fs::read_to_string(workspace.path().join(GENERATED))?;
    for kept in ["::/0", prefix_list.as_str(), group.as_str(), "team"] {
        assert!(
            generated.contains(kept),
            "{kept} missing from:\n{generated}"
        );
    }
    Ok(())
}
