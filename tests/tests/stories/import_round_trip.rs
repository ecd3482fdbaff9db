//! The round trip every import story walks: objects made outside Terraform
//! with the AWS API are imported with `import {}` blocks and `terraform plan
//! -generate-config-out`; the generated configuration validates, the plan
//! only imports ("0 to add, 0 to change, 0 to destroy"), and after the apply
//! a plan is empty ([`round_trip`]). What the provider cannot describe in full
//! is refused with a reason, never dropped ([`refused`]). Also the objects
//! those stories make by hand: a load balancer and target group, and the
//! default subnets.
//!
//! The stories: `security_group_import`, `load_balancer_import`,
//! `default_template_version_import`, `instance_profile_import`,
//! `listener_import`.

use anyhow::{Context, Result};
use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use e2e::{MotoServer, Output, Workspace};

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually};

/// The file Terraform writes the generated configuration to.
pub(crate) const GENERATED: &str = "generated.tf";

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
pub(crate) async fn generate_once_visible(
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
pub(crate) fn found_all(out: &Output) -> bool {
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
