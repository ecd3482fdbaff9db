//! `builder.temporary_iam_instance_profile_policy_document` (Packer's key):
//! the temporary role gets the user's statements in its inline policy,
//! besides AmazonSSMManagedInstanceCore; a document that is not a policy, or
//! the key beside `builder.instance_profile`, is refused alike by `validate`
//! and `build`.
//!
//! Emulated behaviours relied on: IAM CreateRole, PutRolePolicy (moto checks
//! the document), GetRolePolicy, ListAttachedRolePolicies, fault injection
//! (`--on-error=abort` keeps the role to look at).

use crate::harness::{Emulator, Project};
use crate::one_verdict::same_verdict;

use super::kept_build;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/*"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_temporary_role_gets_the_statements_and_the_ssm_policy() {
    let emulator = Emulator::start();
    let config =
        format!("[builder]\ntemporary_iam_instance_profile_policy_document = '''{POLICY}'''\n");
    kept_build(&emulator, &config, &[]);
    let iam = aws_sdk_iam::Client::new(&emulator.sdk().await);
    let roles = iam.list_roles().send().await.expect("ListRoles");
    let role = roles
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .find(|n| n.starts_with("baker-nodeapp-"))
        .expect("the temporary role");
    let policy = iam
        .get_role_policy()
        .role_name(&role)
        .policy_name("baker-builder")
        .send()
        .await
        .expect("GetRolePolicy");
    let text = urlencoding_decode(policy.policy_document());
    let document: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let statements = document["Statement"].as_array().expect("statements");
    assert!(
        statements
            .iter()
            .any(|s| s["Action"] == "s3:GetObject" && s["Resource"] == "arn:aws:s3:::assets/*"),
        "{document}"
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name(&role)
        .send()
        .await
        .expect("ListAttachedRolePolicies");
    assert!(
        attached
            .attached_policies()
            .iter()
            .any(|p| p.policy_name() == Some("AmazonSSMManagedInstanceCore")),
        "{attached:?}"
    );
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn urlencoding_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                let byte = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .expect("a percent escape");
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn a_document_that_is_not_a_policy_is_refused_by_validate_and_build() {
    for (document, says) in [
        ("{", "is not JSON"),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}"#,
            "Resource",
        ),
    ] {
        let project = Project::offline(&format!(
            "[builder]\ntemporary_iam_instance_profile_policy_document = '''{document}'''\n"
        ));
        same_verdict(
            &project,
            &[],
            "builder.temporary_iam_instance_profile_policy_document",
            says,
        );
    }
    let project = Project::offline(&format!(
        "[builder]\ninstance_profile = \"mine\"\ntemporary_iam_instance_profile_policy_document = '''{POLICY}'''\n"
    ));
    same_verdict(
        &project,
        &[],
        "builder.temporary_iam_instance_profile_policy_document",
        "only for the temporary role",
    );
}
