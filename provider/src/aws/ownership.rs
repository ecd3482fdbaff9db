//! Objects whose name is unique in the account (a load balancer, a target
//! group, a listener's port, a launch template, an autoscaling group, a
//! security group's name in its VPC) are never taken over: a create first
//! looks for one of that name and, when there is one, stops with an error
//! that says how to import it. The state then never holds an object this
//! configuration did not make, so a destroy never deletes another stack's.
//!
//! ELBv2's creates are idempotent: "If you attempt to create multiple load
//! balancers with the same settings, each call succeeds" (ELBv2 API
//! reference, CreateLoadBalancer; the same for CreateTargetGroup and
//! CreateListener), answering the EXISTING object. So an object made by
//! someone else between our look-up and our create would come back as if we
//! had made it. Each such create carries a tag with a value no other request
//! uses ([`CREATE_TOKEN_TAG`]); an object that does not carry our value was
//! not made by this call, and is left as it is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_elasticloadbalancingv2::types::Tag;
use cty::Path;

use super::consistency::{Made, write_to};
use super::{Aws, aws_error};
use crate::framework::Diagnostics;

/// The tag an ELBv2 create carries to recognise its own answer; removed
/// again as soon as the object is known to be ours.
pub const CREATE_TOKEN_TAG: &str = "roundrobin:create-token";

/// An object of the name we were about to create, found in the account.
pub struct Existing<'a> {
    /// What it is, for people: "load balancer", "listener on port 80".
    pub kind: &'a str,
    /// Its name (or, for a listener, its port).
    pub name: &'a str,
    /// The resource type that manages it: `roundrobin_lb`.
    pub type_name: &'a str,
    /// The id its import takes (what the resource's import accepts).
    pub import_id: &'a str,
    /// The attribute that carries the name.
    pub path: Path,
}

impl<'a> Existing<'a> {
    /// An object found by the `name` attribute.
    pub fn named(kind: &'a str, type_name: &'a str, name: &'a str, import_id: &'a str) -> Self {
        Self {
            kind,
            name,
            type_name,
            import_id,
            path: Path::root().attr("name"),
        }
    }
}

/// The error for an object that exists already: nothing was changed, and
/// the ways to manage it with Terraform are spelled out.
pub fn already_exists(existing: &Existing<'_>) -> Diagnostics {
    let Existing {
        kind,
        name,
        type_name,
        import_id,
        ..
    } = existing;
    Diagnostics::attribute_error(
        existing.path.clone(),
        format!("{kind} {name:?} already exists"),
        format!(
            "A {kind} {name:?} exists already and this configuration did not create it: it may serve another stack, so it is not taken over and nothing was changed. Choose another name, or manage the existing {kind} with this resource by importing it, replacing NAME with this resource's name in your configuration:\n\n  terraform import '{type_name}.NAME' '{import_id}'\n\nor with an import block:\n\n  import {{\n    to = {type_name}.NAME\n    id = \"{import_id}\"\n  }}"
        ),
    )
}

/// A value for [`CREATE_TOKEN_TAG`] that no other create request carries:
/// the time, the process and a counter.
pub fn create_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}-{:x}-{count}", std::process::id())
}

/// The token as an ELBv2 tag, for the create request.
pub fn token_tag(token: &str) -> Tag {
    Tag::builder().key(CREATE_TOKEN_TAG).value(token).build()
}

/// Whether the ELBv2 object a create answered is the one this create made:
/// it carries our token.
pub async fn elb_made_by_us(aws: &Aws, arn: &str, token: &str) -> Result<bool, Diagnostics> {
    let described = write_to(
        aws,
        Made::ThisApply,
        &format!("reading the tags of {arn}"),
        || aws.elb.describe_tags().resource_arns(arn).send(),
    )
    .await?;
    Ok(described
        .tag_descriptions()
        .iter()
        .filter(|d| d.resource_arn() == Some(arn))
        .flat_map(|d| d.tags())
        .any(|t| t.key() == Some(CREATE_TOKEN_TAG) && t.value() == Some(token)))
}

/// Removes the token from an object known to be ours, so that its tags are
/// exactly the configured ones.
pub async fn drop_elb_token(aws: &Aws, arn: &str) -> Result<(), Diagnostics> {
    aws.shared_tags.written(arn);
    let removed = write_to(
        aws,
        Made::ThisApply,
        &format!("removing the {CREATE_TOKEN_TAG} tag from {arn}"),
        || {
            aws.elb
                .remove_tags()
                .resource_arns(arn)
                .tag_keys(CREATE_TOKEN_TAG)
                .send()
        },
    )
    .await;
    aws.shared_tags.written(arn);
    removed.map(drop)
}

/// The error for a create whose answer was not made by it.
pub fn not_made_by_us(existing: &Existing<'_>) -> Diagnostics {
    let mut d = already_exists(existing);
    d.push_warning(
        "Made by someone else a moment ago",
        format!(
            "The {} {:?} did not exist when this apply looked, but AWS answered the create with an object another request made in the meantime; it was left untouched.",
            existing.kind, existing.name
        ),
    );
    d
}

/// An AWS error whose code says the name is taken.
pub fn is_duplicate(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "DuplicateLoadBalancerName"
                | "DuplicateTargetGroupName"
                | "DuplicateListener"
                | "InvalidLaunchTemplateName.AlreadyExistsException"
                | "AlreadyExists"
                | "InvalidGroup.Duplicate"
        )
    )
}

/// The error for a look-up that failed: the create does not go ahead blind.
pub fn lookup_failed(what: &str, err: &impl super::AwsErrorDetail) -> Diagnostics {
    aws_error(&format!("looking for an existing {what}"), err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_names_the_import_command_and_block() {
        let d = already_exists(&Existing {
            kind: "target group",
            name: "web",
            type_name: "roundrobin_lb_target_group",
            import_id: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1",
            path: Path::root().attr("name"),
        });
        let diag = &d.0[0];
        assert_eq!(diag.path, Some(Path::root().attr("name")));
        assert!(diag.detail.contains("terraform import 'roundrobin_lb_target_group.NAME' 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1'"));
        assert!(diag.detail.contains("to = roundrobin_lb_target_group.NAME"));
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(create_token(), create_token());
    }
}
