//! Instance profiles and their roles made with the API: a profile for EC2
//! imports without changes; a lone role is refused with the steps that make
//! its import work, and after them the role's own trust policy and tags show
//! in the import's plan as replaced.
//!
//! Emulated behaviour relied on: IAM roles with trust policies and tags,
//! managed policy attachments, instance profiles holding a role.

use anyhow::Result;
use e2e::{MotoServer, Workspace};

use crate::import_round_trip::{found_all, generate_once_visible, importing, round_trip};
use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually};

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
