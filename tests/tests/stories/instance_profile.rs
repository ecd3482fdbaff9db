//! The SSM instance profile: role, policy and profile made together, a
//! detached policy put back, import by name, and nothing left after destroy.
//!
//! Emulated behaviour relied on (moto 5.2): AWS's managed policies, loaded
//! because the harness starts moto with `MOTO_IAM_LOAD_MANAGED_POLICIES=true`;
//! GetInstanceProfile returning the profile's roles and tags;
//! List/Attach/DetachRolePolicy.

use anyhow::{Context, Result};
use aws_sdk_iam::Client as Iam;
use e2e::{MotoServer, Workspace};

use crate::load_balancer::sdk_config;
use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually};

const SSM: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

/// The profile, with `extra_policy_arns` only when there are extra policies.
fn profile(extra: &[&str]) -> String {
    let arns: Vec<String> = extra.iter().map(|arn| format!("\"{arn}\"")).collect();
    let extra = if arns.is_empty() {
        String::new()
    } else {
        format!("  extra_policy_arns = [{}]\n", arns.join(", "))
    };
    format!(
        r#"{PROVIDER}
resource "roundrobin_instance_profile" "ssm" {{
  name = "nodeapp-ssm"
{extra}
  tags = {{
    app = "nodeapp"
  }}
}}
"#
    )
}

async fn attached(iam: &Iam, role: &str) -> Result<Vec<String>> {
    let out = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await?;
    let mut arns: Vec<String> = out
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .map(str::to_owned)
        .collect();
    arns.sort();
    Ok(arns)
}

#[tokio::test]
async fn the_profile_carries_the_ssm_role_and_leaves_nothing_behind() -> Result<()> {
    let moto = MotoServer::start()?;
    let iam = Iam::new(&sdk_config(&moto).await);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&profile(&[READ_ONLY]))?;
    workspace.apply()?;
    assert_no_changes(&workspace)?;

    let got = iam
        .get_instance_profile()
        .instance_profile_name("nodeapp-ssm")
        .send()
        .await?;
    let made = got.instance_profile().context("no instance profile")?;
    let roles: Vec<&str> = made.roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(roles, ["nodeapp-ssm"]);
    let trust = made.roles()[0]
        .assume_role_policy_document()
        .unwrap_or_default();
    assert!(trust.contains("ec2.amazonaws.com"), "trust policy: {trust}");
    assert_eq!(attached(&iam, "nodeapp-ssm").await?, [READ_ONLY, SSM]);

    // Detached behind Terraform's back: planned as an update and put back.
    iam.detach_role_policy()
        .role_name("nodeapp-ssm")
        .policy_arn(SSM)
        .send()
        .await?;
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "expected a change:\n{plan}");
    assert!(
        plan.stdout
            .contains("roundrobin_instance_profile.ssm will be updated in-place"),
        "{plan}"
    );
    workspace.apply()?;
    assert_eq!(attached(&iam, "nodeapp-ssm").await?, [READ_ONLY, SSM]);

    // One policy fewer is an in-place update too.
    workspace.write_config(&profile(&[]))?;
    workspace.apply()?;
    assert_eq!(attached(&iam, "nodeapp-ssm").await?, [SSM]);
    assert_no_changes(&workspace)?;

    workspace.destroy()?;
    assert!(
        iam.list_instance_profiles()
            .send()
            .await?
            .instance_profiles()
            .is_empty(),
        "instance profiles left"
    );
    assert!(
        iam.list_roles().send().await?.roles().is_empty(),
        "roles left"
    );
    Ok(())
}

#[tokio::test]
async fn a_profile_is_imported_by_name_and_recreated_when_deleted() -> Result<()> {
    let moto = MotoServer::start()?;
    let iam = Iam::new(&sdk_config(&moto).await);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&profile(&[]))?;
    workspace.apply()?;

    let removed = workspace.run(&[
        "state",
        "rm",
        "-no-color",
        "roundrobin_instance_profile.ssm",
    ])?;
    assert!(removed.success(), "{removed}");
    workspace.import("roundrobin_instance_profile.ssm", "nodeapp-ssm")?;
    let state = workspace.state_show("roundrobin_instance_profile.ssm")?;
    assert!(
        state
            .stdout
            .contains("arn:aws:iam::123456789012:instance-profile/nodeapp-ssm"),
        "{state}"
    );
    assert_no_changes(&workspace)?;

    iam.remove_role_from_instance_profile()
        .instance_profile_name("nodeapp-ssm")
        .role_name("nodeapp-ssm")
        .send()
        .await?;
    iam.delete_instance_profile()
        .instance_profile_name("nodeapp-ssm")
        .send()
        .await?;
    let plan = workspace.plan_detailed()?;
    assert!(
        plan.stdout
            .contains("roundrobin_instance_profile.ssm will be created"),
        "{plan}"
    );
    // The role left behind is taken over, not a conflict.
    workspace.apply()?;
    let roles = iam
        .get_instance_profile()
        .instance_profile_name("nodeapp-ssm")
        .send()
        .await?;
    assert_eq!(roles.instance_profile().map(|p| p.roles().len()), Some(1));
    assert_no_changes(&workspace)?;

    workspace.destroy()?;
    assert!(
        iam.list_roles().send().await?.roles().is_empty(),
        "roles left"
    );
    Ok(())
}

#[tokio::test]
async fn a_failed_create_is_tracked_and_destroyed_without_leftovers() -> Result<()> {
    let moto = MotoServer::start()?;
    let iam = Iam::new(&sdk_config(&moto).await);
    let workspace = Workspace::new(&moto)?;
    let missing = "arn:aws:iam::aws:policy/NoSuchPolicy";
    workspace.write_config(&profile(&[missing]))?;

    let failed = workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(
        text.contains(&format!("attaching {missing} to role nodeapp-ssm")),
        "{failed}"
    );
    assert!(text.contains("NoSuchEntity"), "{failed}");
    // What was made is in the state (tainted), so destroy can remove it.
    let state = workspace.state_show("roundrobin_instance_profile.ssm")?;
    assert!(state.stdout.contains("tainted"), "{state}");

    workspace.destroy()?;
    assert!(
        iam.list_instance_profiles()
            .send()
            .await?
            .instance_profiles()
            .is_empty(),
        "instance profiles left"
    );
    assert!(
        iam.list_roles().send().await?.roles().is_empty(),
        "roles left"
    );
    Ok(())
}

#[tokio::test]
async fn an_existing_role_of_the_same_name_is_refused_and_left_untouched() -> Result<()> {
    let moto = MotoServer::start()?;
    let iam = Iam::new(&sdk_config(&moto).await);
    // Someone else's role: Lambda may assume it, and it has its own policy.
    let lambda_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name("nodeapp-ssm")
        .assume_role_policy_document(lambda_trust)
        .send()
        .await?;
    eventually("the role visible to IAM", || async {
        iam.get_role().role_name("nodeapp-ssm").send().await?;
        iam.attach_role_policy()
            .role_name("nodeapp-ssm")
            .policy_arn(READ_ONLY)
            .send()
            .await
            .map(drop)
            .map_err(anyhow::Error::from)
    })
    .await?;

    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&profile(&[]))?;
    let failed = workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(text.contains("already exists"), "{failed}");
    assert!(text.contains("terraform import"), "{failed}");
    assert!(
        text.contains("name"),
        "the diagnostic points at `name`: {failed}"
    );

    // Untouched: same trust, same policies, no profile made, nothing in state.
    let role = iam.get_role().role_name("nodeapp-ssm").send().await?;
    let trust = role
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default();
    assert!(
        trust.contains("lambda.amazonaws.com"),
        "trust policy: {trust}"
    );
    assert_eq!(attached(&iam, "nodeapp-ssm").await?, [READ_ONLY]);
    assert!(
        iam.list_instance_profiles()
            .send()
            .await?
            .instance_profiles()
            .is_empty(),
        "no instance profile was made"
    );
    let state = workspace.run(&["state", "list", "-no-color"])?;
    assert!(state.stdout.trim().is_empty(), "{state}");

    // Destroy has nothing to remove, so the role survives it too.
    workspace.destroy()?;
    assert!(iam.get_role().role_name("nodeapp-ssm").send().await.is_ok());
    Ok(())
}
