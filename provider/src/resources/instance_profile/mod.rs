//! `roundrobin_instance_profile`: an instance profile and its IAM role (EC2
//! trust, `AmazonSSMManagedInstanceCore` and any extra managed policies), as
//! one resource because users always want the three together.
//!
//! The profile is made first, so that whatever exists after a failed step is
//! tracked by its name; the remaining steps are idempotent ("ensure") and run
//! again on update, which is also how drift (a detached policy, a role gone
//! from the profile) is repaired.

mod role;
mod role_view;

use async_trait::async_trait;
use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::aws::tags::{self, Tags};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::framework::{
    ApplyError, ApplyResult, Attribute, Block, Diagnostics, Plan, Resource, Schema, Validator,
    null_as_default,
};
use role::{
    EXISTS, EnsureError, ExistingRole, NOT_FOUND, RoleOwner, already_exists, attached_policies,
    delete_empty_profile, ensure_role, role_owner, to_iam,
};

/// The AWS managed policy that lets the SSM agent register, in a partition.
pub fn ssm_policy(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore")
}

fn is_ssm_policy(arn: &str) -> bool {
    arn.starts_with("arn:") && arn.ends_with(":iam::aws:policy/AmazonSSMManagedInstanceCore")
}

pub struct InstanceProfileResource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub role_name: Option<String>,
    pub extra_policy_arns: Option<Vec<String>>,
    pub policy_arns: Option<Vec<String>>,
    pub tags: Option<Tags>,
    pub role_trust_policy: Option<String>,
    pub role_other_tags: Option<Tags>,
}

impl InstanceProfile {
    fn profile_name(&self) -> &str {
        self.id
            .as_deref()
            .filter(|id| !id.is_empty())
            .unwrap_or(&self.name)
    }

    /// Every managed policy the role should have, sorted.
    fn wanted_policies(&self, partition: &str) -> Vec<String> {
        let mut all = vec![ssm_policy(partition)];
        all.extend(self.extra_policy_arns.iter().flatten().cloned());
        all.sort();
        all.dedup();
        all
    }
}

#[async_trait]
impl Resource for InstanceProfileResource {
    type Model = InstanceProfile;

    fn type_name(&self) -> &'static str {
        "roundrobin_instance_profile"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("An EC2 instance profile with its IAM role of the same name: EC2 may assume the role, which has `AmazonSSMManagedInstanceCore` (so Session Manager and Run Command reach the instances) and any extra managed policies.")
                .attribute(Attribute::computed("id", Type::String).stable().describe("Name of the instance profile."))
                .attribute(Attribute::computed("arn", Type::String).stable().describe("ARN of the instance profile."))
                .attribute(Attribute::required("name", Type::String).requires_replace().validate(Validator::LengthBetween(1, 64)).describe("Name of the instance profile and of its role. Changing it creates new ones."))
                .attribute(Attribute::computed("role_name", Type::String).stable().describe("Name of the role in the profile (the same as `name`)."))
                .attribute(Attribute::optional("extra_policy_arns", Type::list(Type::String)).describe("ARNs of managed policies to attach besides AmazonSSMManagedInstanceCore."))
                .attribute(Attribute::computed("policy_arns", Type::list(Type::String)).stable().describe("Every managed policy attached to the role, sorted."))
                .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags of the instance profile and its role."))
                .attribute(Attribute::computed("role_trust_policy", Type::String).stable().describe("The role's trust policy as IAM holds it. An apply sets it to EC2's (`ec2.amazonaws.com` may assume the role); another one, as an imported role may have, shows in the plan before it is replaced."))
                .attribute(Attribute::computed("role_other_tags", Type::map(Type::String)).stable().describe("Tags the role has and the instance profile does not (set on the role by others), apart from the provider's ownership mark. An apply gives the role the profile's tags, so this is empty after it; tags set by others show here in the plan before they are removed.")),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(name) = config.get_attr("name").and_then(Value::as_str)
            && let Some(bad) = name
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
        {
            diags.push_attribute_error(
                Path::root().attr("name"),
                "Invalid name",
                format!("IAM names may hold letters, digits and + = , . @ _ - only; {name:?} has {bad:?}."),
            );
        }
        let arns = config
            .get_attr("extra_policy_arns")
            .and_then(Value::as_elements)
            .unwrap_or(&[]);
        for (i, arn) in arns.iter().enumerate() {
            if let Some(text) = arn.as_str()
                && !(text.starts_with("arn:") && text.contains(":policy/"))
            {
                diags.push_attribute_error(
                    Path::root().attr("extra_policy_arns").index(i64::try_from(i).unwrap_or(i64::MAX)),
                    "Not a policy ARN",
                    format!("{text:?} is not the ARN of a managed policy (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)."),
                );
            }
        }
    }

    /// A role missing from the profile or a policy missing from the role
    /// (changed behind Terraform's back) is planned as an update that repairs it.
    fn modify_plan(&self, prior: &Value, config: &Value, plan: &mut Plan) {
        if prior.is_null() || !plan.requires_replace.is_empty() {
            return;
        }
        let name = config.get_attr("name").cloned().unwrap_or(Value::Null);
        let partition = prior
            .get_attr("arn")
            .and_then(Value::as_str)
            .and_then(roundrobin_aws::partition::of_arn)
            .unwrap_or("aws")
            .to_string();
        let role_ok = prior
            .get_attr("role_name")
            .is_some_and(|r| r.semantic_eq(&name));
        let wanted = plan
            .planned
            .get_attr("extra_policy_arns")
            .filter(|v| v.is_wholly_known())
            .map(|extras| {
                let mut all: Vec<String> = extras
                    .as_elements()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                all.push(ssm_policy(&partition));
                all.sort();
                all.dedup();
                all
            });
        let attached: Vec<String> = prior
            .get_attr("policy_arns")
            .and_then(Value::as_elements)
            .unwrap_or(&[])
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let policies_ok = wanted.is_some_and(|w| w == attached);
        if let Value::Object(fields) = &mut plan.planned {
            if !role_ok {
                fields.insert("role_name".into(), Value::Unknown);
            }
            if !policies_ok {
                fields.insert("policy_arns".into(), Value::Unknown);
            }
        }
        role_view::plan(prior, plan);
    }

    async fn create(&self, aws: &Aws, planned: InstanceProfile) -> ApplyResult<InstanceProfile> {
        let name = planned.name.clone();
        let tags = planned.tags.clone().unwrap_or_default();
        // Checked before anything is made, so a refusal leaves nothing behind.
        if role_owner(aws, &name).await? == RoleOwner::Someone {
            return Err(already_exists("IAM role", &name).into());
        }
        let out = aws
            .iam
            .create_instance_profile()
            .instance_profile_name(&name)
            .set_tags(to_iam(&tags)?)
            .send()
            .await
            .map_err(|e| {
                if e.code() == Some(EXISTS) {
                    already_exists("instance profile", &name)
                } else {
                    aws_error(&format!("creating instance profile {name:?}"), &e)
                }
            })?;
        let made = InstanceProfile {
            id: Some(name.clone()),
            arn: out.instance_profile().map(|p| p.arn().to_string()),
            ..planned.clone()
        };
        if let Err(e) = ensure_role(aws, &planned, &tags, ExistingRole::OursIfTagged).await {
            return Err(match e {
                // A role of that name appeared since the check: it is not
                // ours, so the profile made for it goes too; nothing is kept.
                EnsureError::NotOurs(mut d) => {
                    if let Err(cleanup) = delete_empty_profile(aws, &name).await {
                        d.extend(cleanup);
                    }
                    d.into()
                }
                EnsureError::Failed(d) => ApplyError::partial(made, d),
            });
        }
        let what = format!("instance profile {name}");
        read_after_write(aws, &what, || read_profile(aws, &made))
            .await
            .map_err(|d| ApplyError::partial(made.clone(), d))
    }

    async fn read(
        &self,
        aws: &Aws,
        current: InstanceProfile,
    ) -> Result<Option<InstanceProfile>, Diagnostics> {
        read_profile(aws, &current).await
    }

    async fn update(
        &self,
        aws: &Aws,
        prior: InstanceProfile,
        planned: InstanceProfile,
    ) -> ApplyResult<InstanceProfile> {
        let name = prior.profile_name().to_string();
        let step = async {
            let (old, new) = (
                prior.tags.clone().unwrap_or_default(),
                planned.tags.clone().unwrap_or_default(),
            );
            let (upsert, remove) = tags::diff(&old, &new);
            if !remove.is_empty() {
                aws.iam
                    .untag_instance_profile()
                    .instance_profile_name(&name)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(&format!("removing tags from instance profile {name}"), &e)
                    })?;
            }
            if !upsert.is_empty() {
                aws.iam
                    .tag_instance_profile()
                    .instance_profile_name(&name)
                    .set_tags(to_iam(&upsert)?)
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("tagging instance profile {name}"), &e))?;
            }
            ensure_role(aws, &planned, &new, ExistingRole::Ours).await?;
            let known = InstanceProfile {
                id: Some(name.clone()),
                ..planned.clone()
            };
            read_profile(aws, &known).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Instance profile vanished",
                    format!("{name} disappeared while it was being updated."),
                )
            })
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    /// Removes the role from the profile, deletes the profile, detaches the
    /// policies and deletes the role; each step tolerates "already gone".
    async fn delete(&self, aws: &Aws, state: InstanceProfile) -> Result<(), Diagnostics> {
        let profile = state.profile_name().to_string();
        let role = state
            .role_name
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| profile.clone());
        role::delete_all(aws, &profile, &role).await
    }

    fn import(&self, id: &str) -> Result<InstanceProfile, Diagnostics> {
        if id.is_empty() || id.starts_with("arn:") || id.contains('/') {
            return Err(Diagnostics::error(
                "Invalid import id",
                format!("Import an instance profile by its name, like nodeapp-ssm; got {id:?}."),
            ));
        }
        Ok(InstanceProfile {
            id: Some(id.to_string()),
            name: id.to_string(),
            ..InstanceProfile::default()
        })
    }
}

async fn read_profile(
    aws: &Aws,
    known: &InstanceProfile,
) -> Result<Option<InstanceProfile>, Diagnostics> {
    let name = known.profile_name();
    let profile = match aws
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(out) => match out.instance_profile {
            Some(p) => p,
            None => return Ok(None),
        },
        Err(e) if e.code() == Some(NOT_FOUND) => return Ok(None),
        Err(e) => return Err(aws_error(&format!("reading instance profile {name}"), &e)),
    };
    let role_name = profile.roles().first().map(|r| r.role_name().to_string());
    let mut attached = match &role_name {
        Some(role) => attached_policies(aws, role).await?.unwrap_or_default(),
        None => Vec::new(),
    };
    attached.sort();
    let profile_tags: Tags = profile
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    let view = match &role_name {
        Some(role) => role_view::read(aws, role, &profile_tags).await?,
        None => None,
    };
    let (role_trust_policy, role_other_tags) = match view {
        Some((trust, tags)) => (Some(trust), Some(tags)),
        None => (None, None),
    };
    let mut extras: Vec<String> = known
        .extra_policy_arns
        .iter()
        .flatten()
        .filter(|a| attached.contains(a))
        .cloned()
        .collect();
    let others: Vec<String> = attached
        .iter()
        .filter(|a| !is_ssm_policy(a) && !extras.contains(a))
        .cloned()
        .collect();
    extras.extend(others);
    Ok(Some(InstanceProfile {
        id: Some(profile.instance_profile_name().to_string()),
        arn: Some(profile.arn().to_string()),
        name: profile.instance_profile_name().to_string(),
        role_name,
        extra_policy_arns: Some(extras),
        policy_arns: Some(attached),
        tags: Some(
            profile
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        ),
        role_trust_policy,
        role_other_tags,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssm_policy_is_always_wanted_once() {
        let profile = InstanceProfile {
            extra_policy_arns: Some(vec![
                ssm_policy("aws"),
                "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy".into(),
            ]),
            ..InstanceProfile::default()
        };
        assert_eq!(profile.wanted_policies("aws").len(), 2);
    }

    #[test]
    fn names_with_spaces_are_refused_at_plan_time() {
        let config = Value::object([
            ("name".to_string(), Value::from("my profile")),
            ("extra_policy_arns".to_string(), Value::Null),
        ]);
        let mut diags = Diagnostics::new();
        InstanceProfileResource.validate(&config, &mut diags);
        assert_eq!(diags.0[0].path, Some(Path::root().attr("name")));
    }
}
