//! `builder.temporary_iam_instance_profile_policy_document` (Packer's key):
//! an IAM policy, as JSON, that the temporary role gets besides what baker
//! needs itself, checked as IAM checks an identity-based policy (IAM user
//! guide, "IAM JSON policy elements reference" and "IAM and AWS STS quotas":
//! an inline role policy holds at most 10,240 characters, whitespace not
//! counted).

use serde_json::Value;

use super::Config;
use crate::error::Problem;

pub const FIELD: &str = "builder.temporary_iam_instance_profile_policy_document";

/// The most characters (whitespace not counted) of a role's inline policies.
pub const MAX_CHARACTERS: usize = 10_240;

/// The policy language versions IAM takes.
const VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];

/// The statements of a valid document, or why it is not one.
pub fn statements(document: &str) -> Result<Vec<Value>, String> {
    let value: Value = serde_json::from_str(document)
        .map_err(|e| format!("is not JSON: {e} (write the policy as a JSON object)"))?;
    let object = value
        .as_object()
        .ok_or("must be a JSON object with Version and Statement")?;
    if let Some(unknown) = object
        .keys()
        .find(|k| !["Version", "Id", "Statement"].contains(&k.as_str()))
    {
        return Err(format!(
            "has {unknown:?}: a policy holds Version, Id and Statement"
        ));
    }
    match object.get("Version").and_then(Value::as_str) {
        Some(version) if VERSIONS.contains(&version) => {}
        Some(version) => {
            return Err(format!(
                "Version {version:?} is not a policy language version (use \"2012-10-17\")"
            ));
        }
        None => return Err("needs \"Version\": \"2012-10-17\"".into()),
    }
    let statements = match object.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => return Err("needs a Statement: an object or a non-empty array of them".into()),
    };
    for (i, statement) in statements.iter().enumerate() {
        check_statement(statement).map_err(|m| format!("Statement[{i}] {m}"))?;
    }
    let characters = document.chars().filter(|c| !c.is_whitespace()).count();
    if characters > MAX_CHARACTERS {
        return Err(format!(
            "has {characters} characters (whitespace not counted): IAM takes at most \
             {MAX_CHARACTERS} in a role's inline policies"
        ));
    }
    Ok(statements)
}

fn check_statement(statement: &Value) -> Result<(), String> {
    let object = statement.as_object().ok_or("is not an object")?;
    match object.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => return Err("needs \"Effect\": \"Allow\" or \"Deny\"".into()),
    }
    if object.contains_key("Principal") || object.contains_key("NotPrincipal") {
        return Err(
            "names a Principal: a role's own policy applies to the role and takes none".into(),
        );
    }
    let has = |a: &str, b: &str| {
        usize::from(object.contains_key(a)) + usize::from(object.contains_key(b))
    };
    if has("Action", "NotAction") != 1 {
        return Err("needs Action or NotAction (one of them)".into());
    }
    if has("Resource", "NotResource") != 1 {
        return Err("needs Resource or NotResource (one of them)".into());
    }
    Ok(())
}

/// The problem with the key, if any.
pub fn check(config: &Config) -> Vec<Problem> {
    let document = config
        .builder
        .temporary_iam_instance_profile_policy_document
        .trim();
    if document.is_empty() {
        return Vec::new();
    }
    let mut problems = Vec::new();
    if !config.builder.instance_profile.is_empty() {
        problems.push(Problem::new(
            FIELD,
            format!(
                "only for the temporary role: builder.instance_profile ({:?}) is used as it is",
                config.builder.instance_profile
            ),
        ));
    }
    if let Err(message) = statements(document) {
        problems.push(Problem::new(FIELD, message));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_checked_as_iam_does() {
        let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/*"}]}"#;
        assert_eq!(statements(good).map(|s| s.len()), Ok(1));
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}}"#;
        assert_eq!(statements(single).map(|s| s.len()), Ok(1));
        for (bad, says) in [
            ("{", "is not JSON"),
            ("[]", "JSON object"),
            (r#"{"Statement":[]}"#, "Version"),
            (r#"{"Version":"2012-10-17","Statement":[]}"#, "non-empty"),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
                "Statement[0] needs \"Effect\"",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}"#,
                "Resource",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
                "Principal",
            ),
        ] {
            let message = statements(bad).expect_err(bad);
            assert!(message.contains(says), "{bad}: {message}");
        }
    }
}
