//! Step 3: the builder's instance profile: the configured one, or a
//! temporary role + profile with `AmazonSSMManagedInstanceCore` (all that
//! SSM needs, plus writing a command's output where `communicator` keeps it),
//! removed at the end.

use async_trait::async_trait;
use roundrobin_aws::AwsErrorDetail;

use super::{BuildState, Ctx, Outcome, Step};
use crate::aws::partition;
use crate::communicator::ssm_output::SsmOutput;
use crate::config::{CommunicatorConfig, Config, role_policy};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct InstanceProfile;

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The temporary role's inline policy: the command output places, and
/// `builder.temporary_iam_instance_profile_policy_document`.
pub const INLINE_POLICY: &str = "baker-builder";

/// The temporary role's inline policy: what the agent needs to keep a
/// command's output ([`output_policy`]) merged with the statements of
/// `builder.temporary_iam_instance_profile_policy_document` (Packer's key;
/// checked before the first AWS call); `None` when neither has any.
pub fn builder_policy(config: &Config, region: &str) -> Result<Option<String>, StepError> {
    let mut statements = output_statements(&config.communicator, region);
    let document = config
        .builder
        .temporary_iam_instance_profile_policy_document
        .trim();
    if !document.is_empty() {
        let extra = role_policy::statements(document).map_err(|message| {
            StepError::unexpected(format!("{}: {message}", role_policy::FIELD))
        })?;
        statements.extend(extra);
    }
    Ok((!statements.is_empty())
        .then(|| serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()))
}

/// The policy that lets the agent put a command's whole output where
/// `communicator` says: the output bucket (under its prefix) and the log
/// group; `None` when neither is set.
pub fn output_policy(communicator: &CommunicatorConfig, region: &str) -> Option<String> {
    let statements = output_statements(communicator, region);
    (!statements.is_empty())
        .then(|| serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

/// The statements of [`output_policy`].
fn output_statements(communicator: &CommunicatorConfig, region: &str) -> Vec<serde_json::Value> {
    let partition = partition(region);
    let kept = SsmOutput::from_config(communicator);
    let mut statements = Vec::new();
    if !kept.s3_bucket.is_empty() {
        let prefix = if kept.s3_prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", kept.s3_prefix)
        };
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": format!("arn:{partition}:s3:::{}/{prefix}*", kept.s3_bucket),
        }));
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": ["s3:GetEncryptionConfiguration"],
            "Resource": format!("arn:{partition}:s3:::{}", kept.s3_bucket),
        }));
    }
    if !kept.log_group.is_empty() {
        let group = format!(
            "arn:{partition}:logs:{region}:*:log-group:{}",
            kept.log_group
        );
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents"
            ],
            "Resource": [group.clone(), format!("{group}:*")],
        }));
    }
    statements
}

/// The managed policy that lets the SSM agent register and run commands.
pub fn ssm_policy_arn(region: &str) -> String {
    format!(
        "arn:{}:iam::aws:policy/AmazonSSMManagedInstanceCore",
        crate::aws::partition(region)
    )
}

fn iam_tags(ctx: &Ctx) -> Result<Vec<aws_sdk_iam::types::Tag>, StepError> {
    ctx.spec
        .builder_tags()
        .iter()
        .filter(|(k, _)| k.as_str() != "Name")
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| StepError::unexpected(format!("IAM tag {k}: {e}")))
        })
        .collect()
}

#[async_trait]
impl Step for InstanceProfile {
    fn name(&self) -> &'static str {
        "instance profile"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let iam = &ctx.aws.iam;
        let configured = &ctx.spec.config.builder.instance_profile;
        if !configured.is_empty() {
            iam.get_instance_profile()
                .instance_profile_name(configured)
                .send()
                .await
                .map_err(|e| StepError::Aws {
                    action: "GetInstanceProfile",
                    detail: format!("builder.instance_profile {configured:?}: {}", e.describe()),
                })?;
            state.profile = Some(configured.clone());
            return Ok(format!("using {configured}"));
        }

        let name = ctx.spec.temp_name();
        let tags = iam_tags(ctx)?;
        line.note(&format!("creating role {name}"));
        iam.create_role()
            .role_name(&name)
            .assume_role_policy_document(TRUST_POLICY)
            .description("Temporary role of a baker builder instance (SSM only)")
            .set_tags(Some(tags.clone()))
            .send()
            .await
            .map_err(StepError::aws("CreateRole"))?;
        state.temp_role = Some(name.clone());

        let policy = ssm_policy_arn(&ctx.aws.region);
        iam.attach_role_policy()
            .role_name(&name)
            .policy_arn(&policy)
            .send()
            .await
            .map_err(StepError::aws("AttachRolePolicy"))?;
        state.temp_policy_attached = Some(policy);

        // AmazonSSMManagedInstanceCore does not let the agent write a command's
        // output to a bucket or a log group; the configured places get an inline
        // policy (Systems Manager user guide, "Configure instance permissions":
        // S3 and CloudWatch Logs output).
        // The user's own statements (builder.temporary_iam_instance_profile_
        // policy_document) join them in the same inline policy.
        if let Some(document) = builder_policy(&ctx.spec.config, &ctx.aws.region)? {
            line.note(&format!("putting the inline policy {INLINE_POLICY}"));
            iam.put_role_policy()
                .role_name(&name)
                .policy_name(INLINE_POLICY)
                .policy_document(document)
                .send()
                .await
                .map_err(StepError::aws("PutRolePolicy"))?;
        }

        iam.create_instance_profile()
            .instance_profile_name(&name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(StepError::aws("CreateInstanceProfile"))?;
        state.temp_profile = Some(name.clone());

        iam.add_role_to_instance_profile()
            .instance_profile_name(&name)
            .role_name(&name)
            .send()
            .await
            .map_err(StepError::aws("AddRoleToInstanceProfile"))?;
        state.temp_role_in_profile = true;
        state.profile = Some(name.clone());
        Ok(format!("created {name} with AmazonSSMManagedInstanceCore"))
    }

    async fn cleanup(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        if !ctx.spec.config.builder.instance_profile.is_empty() {
            return Ok(None);
        }
        // Every call is made even when the state has no record of what it
        // removes: a create call that failed after AWS acted on it (a lost
        // response) leaves something the state never heard of.
        let iam = &ctx.aws.iam;
        let name = ctx.spec.temp_name();
        let gone = |code: Option<&str>| code == Some("NoSuchEntity");
        let mut removed = Vec::new();

        // Only roles the profile really holds are removed from it.
        let roles: Option<Vec<String>> = match iam
            .get_instance_profile()
            .instance_profile_name(&name)
            .send()
            .await
        {
            Ok(out) => Some(
                out.instance_profile()
                    .map(|p| {
                        p.roles()
                            .iter()
                            .map(|r| r.role_name().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            // A profile this build created may be unknown to a read for a
            // moment (IAM is eventually consistent): remove it all the same.
            Err(e) if gone(e.code()) && state.temp_profile.is_some() => {
                Some(if state.temp_role_in_profile {
                    vec![name.clone()]
                } else {
                    Vec::new()
                })
            }
            Err(e) if gone(e.code()) => None,
            Err(e) => return Err(StepError::aws("GetInstanceProfile")(e)),
        };
        if let Some(roles) = roles {
            for role in roles {
                match iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(&name)
                    .role_name(&role)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) if gone(e.code()) => {}
                    Err(e) => return Err(StepError::aws("RemoveRoleFromInstanceProfile")(e)),
                }
            }
            state.temp_role_in_profile = false;
            match iam
                .delete_instance_profile()
                .instance_profile_name(&name)
                .send()
                .await
            {
                Ok(_) => removed.push(format!("instance profile {name}")),
                Err(e) if gone(e.code()) => {}
                Err(e) => return Err(StepError::aws("DeleteInstanceProfile")(e)),
            }
        }
        state.temp_profile = None;
        let policy = ssm_policy_arn(&ctx.aws.region);
        match iam
            .detach_role_policy()
            .role_name(&name)
            .policy_arn(&policy)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if gone(e.code()) => {}
            Err(e) => return Err(StepError::aws("DetachRolePolicy")(e)),
        }
        state.temp_policy_attached = None;
        if builder_policy(&ctx.spec.config, &ctx.aws.region)?.is_some() {
            match iam
                .delete_role_policy()
                .role_name(&name)
                .policy_name(INLINE_POLICY)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if gone(e.code()) => {}
                Err(e) => return Err(StepError::aws("DeleteRolePolicy")(e)),
            }
        }
        match iam.delete_role().role_name(&name).send().await {
            Ok(_) => removed.push(format!("role {name}")),
            Err(e) if gone(e.code()) => {}
            Err(e) => return Err(StepError::aws("DeleteRole")(e)),
        }
        state.temp_role = None;
        Ok((!removed.is_empty()).then(|| format!("deleted {}", removed.join(" and "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_policy_joins_the_output_statements() {
        let mut config = Config::default();
        assert_eq!(builder_policy(&config, "us-east-1").ok(), Some(None));
        config.builder.temporary_iam_instance_profile_policy_document =
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#.into();
        config.communicator.output_s3_bucket = "logs".into();
        let policy: serde_json::Value = serde_json::from_str(
            &builder_policy(&config, "us-east-1")
                .ok()
                .flatten()
                .expect("a policy"),
        )
        .expect("JSON");
        let statements = policy["Statement"].as_array().expect("statements");
        assert_eq!(statements.len(), 3, "{policy}");
        assert_eq!(statements[0]["Action"][0], "s3:PutObject");
        assert_eq!(statements[2]["Action"], "s3:GetObject");
    }

    #[test]
    fn the_output_places_get_write_access_and_nothing_else() {
        let mut communicator = CommunicatorConfig::default();
        assert_eq!(output_policy(&communicator, "us-east-1"), None);
        communicator.output_s3_bucket = "logs".into();
        communicator.output_s3_prefix = "/baker/".into();
        communicator.cloudwatch_log_group = "/ssm/baker".into();
        let policy: serde_json::Value =
            serde_json::from_str(&output_policy(&communicator, "eu-west-1").expect("a policy"))
                .expect("JSON");
        let statements = policy["Statement"].as_array().expect("statements");
        assert_eq!(statements[0]["Resource"], "arn:aws:s3:::logs/baker/*");
        assert_eq!(statements[0]["Action"][0], "s3:PutObject");
        assert_eq!(statements[1]["Resource"], "arn:aws:s3:::logs");
        assert_eq!(
            statements[2]["Resource"][0],
            "arn:aws:logs:eu-west-1:*:log-group:/ssm/baker"
        );
    }
}
