//! Reading a launch template back: the template, and the launch data of
//! the version it runs.

use aws_sdk_ec2::types::LaunchTemplateVersion;

use super::{LaunchTemplate, MetadataOptions, is_not_found};
use crate::aws::tags;
use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;

/// The template as AWS has it; launch data from the version the template
/// runs (the default one, or the latest when the default does not follow).
/// `prior` is the state a refresh starts from: when it already holds that
/// version's launch data, the version is not read again (see
/// [`holds_version`]).
pub(super) async fn read_template(
    aws: &Aws,
    known: &LaunchTemplate,
    prior: Option<&LaunchTemplate>,
) -> Result<Option<LaunchTemplate>, Diagnostics> {
    let id = known.id();
    let templates = match aws
        .ec2
        .describe_launch_templates()
        .launch_template_ids(id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_not_found(e.code()) => return Ok(None),
        Err(e) => return Err(aws_error(&format!("reading launch template {id}"), &e)),
    };
    let Some(template) = templates.launch_templates().first() else {
        return Ok(None);
    };
    let follows_default = known.update_default_version.unwrap_or(true);
    let number = if follows_default {
        template.default_version_number()
    } else {
        template.latest_version_number()
    };
    let held = prior.filter(|p| holds_version(p, number, template.default_version_number()));
    let version = match held {
        Some(_) => None,
        None => aws
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions(number.unwrap_or(1).to_string())
            .send()
            .await
            .map_err(|e| aws_error(&format!("reading the versions of {id}"), &e))?
            .launch_template_versions
            .and_then(|mut v| (!v.is_empty()).then(|| v.swap_remove(0))),
    };
    let account = template
        .created_by()
        .and_then(|arn| arn.split(':').nth(4))
        .unwrap_or_default();
    let mut state = LaunchTemplate {
        id: Some(id.to_string()),
        arn: Some(format!(
            "arn:{}:ec2:{}:{account}:launch-template/{id}",
            aws.partition(),
            aws.region
        )),
        name: template
            .launch_template_name()
            .unwrap_or_default()
            .to_string(),
        tags: Some(tags::from_ec2(template.tags())),
        update_default_version: known.update_default_version,
        latest_version: template.latest_version_number(),
        default_version: template.default_version_number(),
        ..LaunchTemplate::default()
    };
    if let Some(prior) = held {
        keep_launch_data(&mut state, prior);
    } else if let Some(version) = &version {
        fill_launch_data(&mut state, version, known);
    }
    Ok(Some(state))
}

/// Whether `prior` already holds the launch data of version `number`, so
/// that reading the version again could only answer the same: its launch
/// data came from that very version, and the version is the default one.
/// A version's launch data never changes ("you can't modify a launch
/// template version", EC2 User Guide, Modify a launch template), and the
/// default version cannot be deleted (DeleteLaunchTemplateVersions: "You
/// can't delete the default version of a launch template").
fn holds_version(prior: &LaunchTemplate, number: Option<i64>, default: Option<i64>) -> bool {
    let read_from = if prior.update_default_version.unwrap_or(true) {
        prior.default_version
    } else {
        prior.latest_version
    };
    number.is_some() && number == default && number == read_from && prior.image_id.is_some()
}

fn keep_launch_data(state: &mut LaunchTemplate, prior: &LaunchTemplate) {
    state.image_id.clone_from(&prior.image_id);
    state.instance_type.clone_from(&prior.instance_type);
    state
        .vpc_security_group_ids
        .clone_from(&prior.vpc_security_group_ids);
    state
        .iam_instance_profile
        .clone_from(&prior.iam_instance_profile);
    state.user_data.clone_from(&prior.user_data);
    state.metadata_options.clone_from(&prior.metadata_options);
}

fn fill_launch_data(
    state: &mut LaunchTemplate,
    version: &LaunchTemplateVersion,
    known: &LaunchTemplate,
) {
    let Some(data) = version.launch_template_data() else {
        return;
    };
    state.image_id = data.image_id().map(str::to_string);
    state.instance_type = data.instance_type().map(|t| t.as_str().to_string());
    let groups = data.security_group_ids();
    state.vpc_security_group_ids = (!groups.is_empty()).then(|| groups.to_vec());
    state.iam_instance_profile = data
        .iam_instance_profile()
        .and_then(|p| p.name())
        .map(str::to_string);
    state.user_data = data.user_data().map(str::to_string);
    let actual = data.metadata_options().map(|m| MetadataOptions {
        http_tokens: m.http_tokens().map(|t| t.as_str().to_string()),
        http_endpoint: m.http_endpoint().map(|e| e.as_str().to_string()),
        http_put_response_hop_limit: m.http_put_response_hop_limit().map(i64::from),
    });
    // Without a block in the configuration we apply the secure defaults; only
    // report the block when it was written, or when AWS differs from them.
    let defaults = MetadataOptions {
        http_tokens: Some("required".into()),
        http_endpoint: Some("enabled".into()),
        http_put_response_hop_limit: None,
    };
    state.metadata_options = match actual {
        Some(m) if known.metadata_options.is_some() || m != defaults => Some(m),
        _ => None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(default: i64, latest: i64, follows: bool) -> LaunchTemplate {
        LaunchTemplate {
            id: Some("lt-0123456789abcdef0".into()),
            image_id: Some("ami-0123456789abcdef0".into()),
            update_default_version: Some(follows),
            default_version: Some(default),
            latest_version: Some(latest),
            ..LaunchTemplate::default()
        }
    }

    #[test]
    fn the_default_version_the_state_was_read_from_is_not_read_again() {
        assert!(holds_version(&state(2, 2, true), Some(2), Some(2)));
    }

    #[test]
    fn another_default_version_is_read() {
        assert!(!holds_version(&state(2, 2, true), Some(1), Some(1)));
        assert!(!holds_version(&state(2, 2, true), Some(3), Some(3)));
    }

    #[test]
    fn a_latest_version_that_is_not_the_default_is_always_read() {
        // A version that is not the default can be deleted by hand.
        assert!(!holds_version(&state(1, 2, false), Some(2), Some(1)));
        assert!(holds_version(&state(2, 2, false), Some(2), Some(2)));
    }

    #[test]
    fn a_state_without_launch_data_is_read() {
        let imported = LaunchTemplate {
            id: Some("lt-0123456789abcdef0".into()),
            ..LaunchTemplate::default()
        };
        assert!(!holds_version(&imported, Some(1), Some(1)));
    }
}
