//! What the profile's role holds that an apply would rewrite: its trust
//! policy and its tags. Both are read into the state, so that a role this
//! resource did not make (an imported one) shows them in the plan before
//! an apply sets them to EC2's trust and the resource's tags.

use cty::Value;

use super::role::{EC2_TRUST, NOT_FOUND, OWNER_TAG};
use crate::aws::tags::Tags;
use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::{Diagnostics, Plan};

/// The role's trust policy as IAM holds it, and the role's tags that the
/// profile (with `profile_tags`) does not carry, the owner mark left out;
/// `None` for a role IAM does not show.
pub async fn read(
    aws: &Aws,
    role: &str,
    profile_tags: &Tags,
) -> Result<Option<(String, Tags)>, Diagnostics> {
    let out = match aws.iam.get_role().role_name(role).send().await {
        Ok(out) => out,
        Err(e) if e.code() == Some(NOT_FOUND) => return Ok(None),
        Err(e) => return Err(aws_error(&format!("reading role {role}"), &e)),
    };
    let Some(found) = out.role() else {
        return Ok(None);
    };
    let trust = found
        .assume_role_policy_document()
        .map(|doc| canonical_trust(&percent_decode(doc)))
        .unwrap_or_default();
    let tags = found
        .tags()
        .iter()
        .filter(|t| {
            t.key() != OWNER_TAG && profile_tags.get(t.key()).map(String::as_str) != Some(t.value())
        })
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    Ok(Some((trust, tags)))
}

/// EC2's trust policy in the one spelling the resource writes, whatever
/// spacing or key order IAM answers with; any other policy as IAM has it.
fn canonical_trust(document: &str) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(document).ok();
    let ec2 = serde_json::from_str::<serde_json::Value>(EC2_TRUST).ok();
    if parsed.is_some() && parsed == ec2 {
        EC2_TRUST.to_string()
    } else {
        document.to_string()
    }
}

/// IAM returns policy documents URL-encoded (IAM API reference, `Role`:
/// "AssumeRolePolicyDocument ... URL-encoded compliant with RFC 3986").
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Plans the role's trust policy and the tags only the role has: kept when
/// they already are what an apply leaves (EC2's trust, no such tags), else
/// unknown, so the plan shows the values IAM holds now being replaced. An
/// apply writes the same tags to the profile and the role.
pub fn plan(prior: &Value, plan: &mut Plan) {
    let trust_ok = prior
        .get_attr("role_trust_policy")
        .and_then(Value::as_str)
        .is_some_and(|t| t == EC2_TRUST);
    // No such tags reads as an empty map or as null.
    let tags_ok = match prior.get_attr("role_other_tags") {
        None | Some(Value::Null) => true,
        Some(v) => v.as_map().is_some_and(|m| m.is_empty()),
    };
    if let Value::Object(fields) = &mut plan.planned {
        if !trust_ok {
            fields.insert("role_trust_policy".into(), Value::Unknown);
        }
        if !tags_ok {
            fields.insert("role_other_tags".into(), Value::Unknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iams_url_encoded_ec2_trust_reads_as_the_one_the_resource_writes() {
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%7D%5D%2C%22Version%22%3A%222012-10-17%22%7D";
        assert_eq!(canonical_trust(&percent_decode(encoded)), EC2_TRUST);
    }

    #[test]
    fn another_trust_policy_is_kept_as_iam_has_it() {
        let lambda = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(canonical_trust(&percent_decode(lambda)), lambda);
    }
}
