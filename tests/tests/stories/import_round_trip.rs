//! Objects made outside Terraform with the AWS API are imported with
//! `import {}` blocks and `terraform plan -generate-config-out`: the
//! generated configuration validates, the plan only imports ("0 to add, 0 to
//! change, 0 to destroy"), and after the apply a plan is empty. What the
//! provider cannot describe in full is refused with a reason, never dropped.
//!
//! Emulated behaviour relied on: moto's security groups with IPv6 ranges,
//! managed prefix lists and group pairs; ELBv2 listeners forwarding; autoscaling groups on a
//! launch template's `$Default` version; IAM roles and instance profiles.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::{
    AddPrefixListEntry, Filter, IpPermission, IpRange, Ipv6Range, PrefixListId,
    RequestLaunchTemplateData, ResourceType, Tag, TagSpecification, UserIdGroupPair,
};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Output, Workspace};

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually};

/// The file Terraform writes the generated configuration to.
const GENERATED: &str = "generated.tf";

/// A workspace with the provider and one `import {}` block per pair of
/// address and id.
pub(crate) fn importing(moto: &MotoServer, imports: &[(&str, &str)]) -> Result<Workspace> {
    let workspace = Workspace::new(moto)?;
    let mut config = PROVIDER.to_string();
    for (to, id) in imports {
        config.push_str(&format!("\nimport {{\n  to = {to}\n  id = \"{id}\"\n}}\n"));
    }
    workspace.write_config(&config)?;
    Ok(workspace)
}

/// `terraform plan -generate-config-out`, whatever its exit.
fn generate(workspace: &Workspace) -> Result<Output> {
    let out = format!("-generate-config-out={GENERATED}");
    Ok(workspace.run(&["plan", &out, "-no-color", "-input=false"])?)
}

/// `terraform plan -generate-config-out` once the imported objects are
/// visible: objects made a moment ago with the API may not be yet (AWS is
/// eventually consistent, and so is the emulator's realism mode), and a
/// user would import again. `done` says when an answer is final.
async fn generate_once_visible(
    workspace: &Workspace,
    done: impl Fn(&Output) -> bool,
) -> Result<Output> {
    eventually("the imported objects visible to the provider", || async {
        let path = workspace.path().join(GENERATED);
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
        let out = generate(workspace)?;
        if done(&out) {
            Ok(out)
        } else {
            Err(anyhow::anyhow!("not yet:\n{out}"))
        }
    })
    .await
}

/// Whether Terraform found nothing to import (not visible yet).
fn found_all(out: &Output) -> bool {
    !out.combined()
        .contains("Cannot import non-existent remote object")
}

/// The whole round trip: the configuration is generated and validates, the
/// plan imports `count` objects and changes nothing, the apply imports them
/// and changes nothing, and the next plan is empty.
pub(crate) async fn round_trip(workspace: &Workspace, count: usize) -> Result<()> {
    let generated = generate_once_visible(workspace, found_all).await?;
    let text = std::fs::read_to_string(workspace.path().join(GENERATED))
        .with_context(|| format!("no generated configuration:\n{generated}"))?;
    assert_eq!(
        generated.code,
        Some(0),
        "generating failed:\n{generated}\n{text}"
    );
    let validate: Output = workspace.run(&["validate", "-no-color"])?;
    assert_eq!(validate.code, Some(0), "{validate}\n{text}");
    let plan = workspace.plan_detailed()?;
    let summary = format!("Plan: {count} to import, 0 to add, 0 to change, 0 to destroy.");
    assert!(plan.stdout.contains(&summary), "{plan}\n{text}");
    let apply = workspace.apply()?;
    let applied =
        format!("Apply complete! Resources: {count} imported, 0 added, 0 changed, 0 destroyed.");
    assert!(apply.stdout.contains(&applied), "{apply}");
    assert_no_changes(workspace)
}

/// An import the provider refuses: the plan fails with `reason`, the
/// configuration generated so far is not applied, nothing is changed.
pub(crate) async fn refused(workspace: &Workspace, reason: &str) -> Result<Output> {
    let generated = generate_once_visible(workspace, found_all).await?;
    assert_ne!(generated.code, Some(0), "{generated}");
    assert_no_crash(&generated);
    assert!(generated.combined().contains(reason), "{generated}");
    Ok(generated)
}

/// A load balancer and a target group named `by-hand`, made with the API in
/// the default subnets: their ARNs.
pub(crate) async fn load_balancer_and_target_group_by_hand(
    ec2: &aws_sdk_ec2::Client,
    elb: &aws_sdk_elasticloadbalancingv2::Client,
) -> Result<(String, String)> {
    let (vpc, subnets) = default_subnets(ec2).await?;
    let lb = elb
        .create_load_balancer()
        .name("by-hand")
        .set_subnets(Some(subnets))
        .send()
        .await?
        .load_balancers()
        .first()
        .and_then(|l| l.load_balancer_arn())
        .context("no load balancer")?
        .to_string();
    let tg = elb
        .create_target_group()
        .name("by-hand")
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(vpc)
        .send()
        .await?
        .target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .context("no target group")?
        .to_string();
    Ok((lb, tg))
}

pub(crate) async fn default_subnets(ec2: &aws_sdk_ec2::Client) -> Result<(String, Vec<String>)> {
    let out = ec2
        .describe_subnets()
        .filters(
            Filter::builder()
                .name("default-for-az")
                .values("true")
                .build(),
        )
        .send()
        .await?;
    let mut subnets: Vec<(String, String)> = out
        .subnets()
        .iter()
        .filter_map(|s| {
            Some((
                s.availability_zone()?.to_string(),
                s.subnet_id()?.to_string(),
            ))
        })
        .collect();
    subnets.sort();
    let vpc = out
        .subnets()
        .first()
        .and_then(|s| s.vpc_id())
        .context("no default subnet")?
        .to_string();
    Ok((vpc, subnets.into_iter().take(2).map(|(_, id)| id).collect()))
}

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

/// A load balancer, a target group and an HTTP listener forwarding to it,
/// all made with the API, import together (listeners of the other kinds:
/// `listener_import`).
#[tokio::test]
async fn load_balancer_target_group_and_listener_import_together() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&moto.sdk_config().await);
    let (lb, tg) = load_balancer_and_target_group_by_hand(&ec2, &elb).await?;
    let listener = |port: i32, action: Action| {
        let elb = elb.clone();
        let lb = lb.clone();
        async move {
            let out = eventually("the new load balancer taking a listener", || async {
                Ok(elb
                    .create_listener()
                    .load_balancer_arn(&lb)
                    .protocol(ProtocolEnum::Http)
                    .port(port)
                    .default_actions(action.clone())
                    .send()
                    .await?)
            })
            .await?;
            let arn = out
                .listeners()
                .first()
                .and_then(|l| l.listener_arn())
                .context("no listener")?
                .to_string();
            anyhow::Ok(arn)
        }
    };
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(&tg)
        .build();
    let web = listener(80, forward).await?;

    let workspace = importing(
        &moto,
        &[
            ("roundrobin_lb.imported", &lb),
            ("roundrobin_lb_target_group.imported", &tg),
            ("roundrobin_lb_listener.imported", &web),
        ],
    )?;
    round_trip(&workspace, 3).await?;

    Ok(())
}

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

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const SSM_POLICY: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// A role made with the API, tagged by its owners.
async fn role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    trust: &str,
    tag: Option<(&str, &str)>,
) -> Result<()> {
    let tags = tag
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
        .transpose()?;
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .set_tags(tags.map(|t| vec![t]))
        .send()
        .await?;
    Ok(())
}

/// An instance profile of that name holding the role of that name.
async fn profile_for(iam: &aws_sdk_iam::Client, name: &str) -> Result<()> {
    iam.create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await?;
    eventually("the new profile taking its role", || async {
        iam.add_role_to_instance_profile()
            .instance_profile_name(name)
            .role_name(name)
            .send()
            .await?;
        anyhow::Ok(())
    })
    .await
}

/// A profile and its EC2 role with the SSM policy, made with the API,
/// import without changes.
#[tokio::test]
async fn an_instance_profile_made_for_ec2_imports_without_changes() -> Result<()> {
    let moto = MotoServer::start()?;
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
    role(&iam, "by-hand", EC2_TRUST, None).await?;
    eventually("the new role taking a policy", || async {
        iam.attach_role_policy()
            .role_name("by-hand")
            .policy_arn(SSM_POLICY)
            .send()
            .await?;
        anyhow::Ok(())
    })
    .await?;
    profile_for(&iam, "by-hand").await?;
    let workspace = importing(
        &moto,
        &[("roundrobin_instance_profile.imported", "by-hand")],
    )?;
    round_trip(&workspace, 1).await
}

/// Only a role exists: the create is refused with the steps that make its
/// import work; after them, the import's plan shows the role's own trust
/// policy and its owners' tag being replaced before the apply does it.
#[tokio::test]
async fn a_lone_role_is_refused_with_an_import_that_works_and_its_trust_shows_in_the_plan()
-> Result<()> {
    let moto = MotoServer::start()?;
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
    role(&iam, "by-hand", LAMBDA_TRUST, Some(("owner", "data-team"))).await?;

    let creating = Workspace::new(&moto)?;
    creating.write_config(&format!(
        "{PROVIDER}\nresource \"roundrobin_instance_profile\" \"app\" {{\n  name = \"by-hand\"\n}}\n"
    ))?;
    let failed = creating.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    for step in [
        "aws iam create-instance-profile --instance-profile-name by-hand",
        "aws iam add-role-to-instance-profile --instance-profile-name by-hand --role-name by-hand",
        "terraform import 'roundrobin_instance_profile.NAME' 'by-hand'",
    ] {
        assert!(text.contains(step), "{step:?} missing from:\n{failed}");
    }

    profile_for(&iam, "by-hand").await?;
    let workspace = importing(&moto, &[("roundrobin_instance_profile.app", "by-hand")])?;
    let generated = generate_once_visible(&workspace, found_all).await?;
    assert_eq!(generated.code, Some(0), "{generated}");
    let plan = workspace.plan_detailed()?;
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."),
        "{plan}"
    );
    for shown in [
        "lambda.amazonaws.com",
        "data-team",
        "role_trust_policy",
        "role_other_tags",
    ] {
        assert!(
            plan.stdout.contains(shown),
            "{shown:?} not in the plan:\n{plan}"
        );
    }
    workspace.apply()?;
    let trust = iam.get_role().role_name("by-hand").send().await?;
    let trust = trust
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default()
        .to_string();
    assert!(trust.contains("ec2.amazonaws.com"), "{trust}");
    assert_no_changes(&workspace)
}
