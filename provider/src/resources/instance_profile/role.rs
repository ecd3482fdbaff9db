//! The role behind an instance profile: made with exactly the wanted
//! policies, kept in step on update, and taken apart in the order IAM
//! requires. A role this resource did not make is never taken over: its
//! trust policy and policies may serve something else.

use aws_sdk_iam::types::Tag;
use cty::Path;

use super::{InstanceProfile, is_ssm_policy};
use crate::aws::consistency::{is_iam_lag, retry_while_lagging};
use crate::aws::tags::{self, Tags};
use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;
use aws_sdk_iam::error::SdkError;

pub const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
pub const NOT_FOUND: &str = "NoSuchEntity";
pub const EXISTS: &str = "EntityAlreadyExists";

/// An IAM call whose "not found" answer means the work is already done.
fn done<T, E: AwsErrorDetail>(result: Result<T, E>, what: &str) -> Result<(), Diagnostics> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(NOT_FOUND) => Ok(()),
        Err(e) => Err(aws_error(what, &e)),
    }
}

/// Removes the role from the profile, deletes the profile, detaches the
/// policies and deletes the role; each step tolerates "already gone".
pub async fn delete_all(aws: &Aws, profile: &str, role: &str) -> Result<(), Diagnostics> {
    // Only the roles the profile holds: removing another is an error. A
    // profile that Get does not show (yet: one made seconds ago may not
    // appear) still gets the calls, for its own role, each tolerating "gone".
    let held: Vec<String> = match aws
        .iam
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
    {
        Ok(out) => out
            .instance_profile()
            .map(|p| p.roles())
            .unwrap_or_default()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect(),
        Err(e) if e.code() == Some(NOT_FOUND) => vec![role.to_string()],
        Err(e) => {
            return Err(aws_error(
                &format!("reading instance profile {profile}"),
                &e,
            ));
        }
    };
    for held in &held {
        let removed = aws
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(profile)
            .role_name(held)
            .send()
            .await;
        done(
            removed,
            &format!("removing role {held} from instance profile {profile}"),
        )?;
    }
    delete_empty_profile(aws, profile).await?;
    // A role IAM does not list (gone, or not visible yet) still gets its
    // DeleteRole, which tolerates "gone".
    let attached = attached_policies(aws, role).await?.unwrap_or_default();
    for arn in attached {
        let detached = aws
            .iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(&arn)
            .send()
            .await;
        done(detached, &format!("detaching {arn} from role {role}"))?;
    }
    let inline = aws.iam.list_role_policies().role_name(role).send().await;
    for policy in inline
        .as_ref()
        .map(|o| o.policy_names())
        .unwrap_or_default()
    {
        let deleted = aws
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await;
        done(
            deleted,
            &format!("deleting inline policy {policy} of role {role}"),
        )?;
    }
    done(
        aws.iam.delete_role().role_name(role).send().await,
        &format!("deleting role {role}"),
    )
}

pub fn to_iam(tags: &Tags) -> Result<Option<Vec<Tag>>, Diagnostics> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
        .map_err(|e| {
            Diagnostics::attribute_error(Path::root().attr("tags"), "Invalid tag", e.to_string())
        })
}

/// Managed policies attached to a role; `None` when the role does not exist.
pub async fn attached_policies(aws: &Aws, role: &str) -> Result<Option<Vec<String>>, Diagnostics> {
    let listed = aws
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match listed {
        Ok(policies) => Ok(Some(
            policies
                .iter()
                .filter_map(|p| p.policy_arn())
                .map(str::to_string)
                .collect(),
        )),
        Err(e) if e.code() == Some(NOT_FOUND) => Ok(None),
        Err(e) => Err(aws_error(
            &format!("listing the policies of role {role}"),
            &e,
        )),
    }
}

/// The tag that marks a role as made by this resource for the profile of
/// that name, so that a role left behind by its own profile (deleted by
/// hand) is recognised, and any other role is not.
pub const OWNER_TAG: &str = "roundrobin:instance-profile";

/// What to do with a role of the profile's name that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingRole {
    /// On create: keep it only if it carries our owner tag for this name.
    OursIfTagged,
    /// On update: the role is the one this resource made (or imported).
    Ours,
}

/// Who owns the role of that name, if there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleOwner {
    NoRole,
    Us,
    Someone,
}

/// The error for a profile or role that exists already: nothing is changed,
/// and the way to manage it with Terraform is named.
pub fn already_exists(kind: &str, name: &str) -> Diagnostics {
    // The import reads the profile of that name; a role alone has none, so
    // the import only works once a profile holds the role.
    let profile_first = if kind == "IAM role" {
        format!(
            " If no instance profile {name:?} holds the role yet, make one first, or the import finds nothing:\n\n  aws iam create-instance-profile --instance-profile-name {name}\n  aws iam add-role-to-instance-profile --instance-profile-name {name} --role-name {name}\n\nthen import it"
        )
    } else {
        " Import it".to_string()
    };
    Diagnostics::attribute_error(
        Path::root().attr("name"),
        format!("{kind} {name:?} already exists"),
        format!(
            "roundrobin_instance_profile creates its own instance profile and role and does not take over existing ones: their trust policy and policies may serve something else. Nothing was changed. Choose another name, or manage the existing {kind} with Terraform.{profile_first}, replacing NAME with this resource's name in your configuration:\n\n  terraform import 'roundrobin_instance_profile.NAME' '{name}'\n\nThe plan after the import shows the role's trust policy and tags that an apply would replace (role_trust_policy, role_other_tags)."
        ),
    )
}

/// Whether a role of that name exists and whether we made it.
pub async fn role_owner(aws: &Aws, name: &str) -> Result<RoleOwner, Diagnostics> {
    match aws.iam.get_role().role_name(name).send().await {
        Ok(out) => {
            let ours = out.role().is_some_and(|r| {
                r.tags()
                    .iter()
                    .any(|t| t.key() == OWNER_TAG && t.value() == name)
            });
            Ok(if ours {
                RoleOwner::Us
            } else {
                RoleOwner::Someone
            })
        }
        Err(e) if e.code() == Some(NOT_FOUND) => Ok(RoleOwner::NoRole),
        Err(e) => Err(aws_error(
            &format!("looking for an existing role {name:?}"),
            &e,
        )),
    }
}

/// The role's tags: the user's, and our owner mark.
fn role_tags(tags: &Tags, name: &str) -> Tags {
    let mut all = tags.clone();
    all.insert(OWNER_TAG.to_string(), name.to_string());
    all
}

/// Why a role could not be made ready.
#[derive(Debug)]
pub enum EnsureError {
    /// On create, a role of the name exists and is not ours.
    NotOurs(Diagnostics),
    Failed(Diagnostics),
}

impl From<Diagnostics> for EnsureError {
    fn from(d: Diagnostics) -> Self {
        Self::Failed(d)
    }
}

impl From<EnsureError> for Diagnostics {
    fn from(e: EnsureError) -> Self {
        match e {
            EnsureError::NotOurs(d) | EnsureError::Failed(d) => d,
        }
    }
}

/// Deletes an instance profile that holds no role (one just made for a role
/// that turned out not to be ours).
pub async fn delete_empty_profile(aws: &Aws, profile: &str) -> Result<(), Diagnostics> {
    let deleted = aws
        .iam
        .delete_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await;
    done(deleted, &format!("deleting instance profile {profile}"))
}

/// Makes the role exist with the EC2 trust policy and exactly the wanted
/// managed policies, in the profile. On update a role that is there is ours
/// and kept in step; on create one that is there is refused.
pub async fn ensure_role(
    aws: &Aws,
    planned: &InstanceProfile,
    tags: &Tags,
    existing: ExistingRole,
) -> Result<(), EnsureError> {
    let name = planned.profile_name();
    let tags = &role_tags(tags, name);
    let created = aws
        .iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(EC2_TRUST)
        .description("EC2 instances of this role are managed through SSM")
        .set_tags(to_iam(tags)?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.code() == Some(EXISTS)
                && existing == ExistingRole::OursIfTagged
                && role_owner(aws, name).await? != RoleOwner::Us =>
        {
            return Err(EnsureError::NotOurs(already_exists("IAM role", name)));
        }
        Err(e) if e.code() == Some(EXISTS) => {
            tracing::debug!(
                role = name,
                "role exists: keeping its trust policy and tags in step"
            );
            aws.iam
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(EC2_TRUST)
                .send()
                .await
                .map_err(|e| aws_error(&format!("setting the trust policy of role {name}"), &e))?;
            let current = aws
                .iam
                .get_role()
                .role_name(name)
                .send()
                .await
                .map_err(|e| aws_error(&format!("reading role {name}"), &e))?;
            let old: Tags = current
                .role()
                .map(|r| r.tags())
                .unwrap_or_default()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let (upsert, remove) = tags::diff(&old, tags);
            if !remove.is_empty() {
                aws.iam
                    .untag_role()
                    .role_name(name)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("removing tags from role {name}"), &e))?;
            }
            if !upsert.is_empty() {
                aws.iam
                    .tag_role()
                    .role_name(name)
                    .set_tags(to_iam(&upsert)?)
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("tagging role {name}"), &e))?;
            }
        }
        Err(e) => return Err(aws_error(&format!("creating role {name:?}"), &e).into()),
    }
    // A role made a moment ago may be unknown to IAM's other endpoints for a
    // few seconds: "cannot find the role" is retried, a missing policy is not.
    let role_lag =
        |e: &SdkError<_, _>| is_iam_lag(e) && e.describe().to_lowercase().contains("role");
    let attached = attached_policies(aws, name).await?.unwrap_or_default();
    let wanted = planned.wanted_policies(aws.partition());
    for arn in wanted.iter().filter(|a| !attached.contains(a)) {
        let attach = aws.iam.attach_role_policy().role_name(name).policy_arn(arn);
        retry_while_lagging(&aws.stop, role_lag, || attach.clone().send()).await.map_err(|e| {
            let mut d = aws_error(&format!("attaching {arn} to role {name}"), &e);
            if is_ssm_policy(arn) && e.code() == Some(NOT_FOUND) {
                d.push_warning("Policy not found", "AmazonSSMManagedInstanceCore does not exist here (an emulator must load AWS's managed policies).");
            }
            d
        })?;
    }
    for arn in attached.iter().filter(|a| !wanted.contains(a)) {
        aws.iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error(&format!("detaching {arn} from role {name}"), &e))?;
    }
    let get = aws.iam.get_instance_profile().instance_profile_name(name);
    let profile = retry_while_lagging(&aws.stop, is_iam_lag, || get.clone().send())
        .await
        .map_err(|e| aws_error(&format!("reading instance profile {name}"), &e))?;
    let roles: Vec<String> = profile
        .instance_profile()
        .map(|p| p.roles())
        .unwrap_or_default()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    if !roles.iter().any(|r| r == name) {
        for other in &roles {
            aws.iam
                .remove_role_from_instance_profile()
                .instance_profile_name(name)
                .role_name(other)
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        &format!("removing role {other} from instance profile {name}"),
                        &e,
                    )
                })?;
        }
        let add = aws
            .iam
            .add_role_to_instance_profile()
            .instance_profile_name(name)
            .role_name(name);
        retry_while_lagging(&aws.stop, is_iam_lag, || add.clone().send())
            .await
            .map_err(|e| {
                aws_error(
                    &format!("adding role {name} to instance profile {name}"),
                    &e,
                )
            })?;
    }
    Ok(())
}
