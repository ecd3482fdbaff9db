//! The checks `baker validate` runs (and `baker build` runs first): each
//! problem names the field it is about.

use std::path::Path;

use super::ci::BuildInfo;
use super::unit::check_unit;
use super::user_data::user_data;
use super::{COMMUNICATORS, Config, MAX_INLINE_LIMIT, script_inputs};
use crate::error::Problem;
use crate::template;

/// Tags baker sets itself; `image.tags` may not override them.
pub const RESERVED_TAGS: &[&str] = &[
    "app",
    "commit",
    "build",
    "baked-by",
    "source-ami",
    "app-port",
    "health-path",
    "Name",
];

/// Tags baker sets on the builder; `builder.run_tags` and
/// `builder.run_volume_tags` may not override them.
pub const BUILDER_TAGS: &[&str] = &["Name", "baker:build-id", "app", "baked-by"];

/// The longest wait any setting may ask for: a day, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 24 * 60 * 60;

/// Every problem with `config`; relative paths are resolved against `base`.
/// `info` (commit and build number), when known, is checked too.
pub fn check(config: &Config, base: &Path, info: Option<&BuildInfo>) -> Vec<Problem> {
    let mut problems = script_inputs::check(config, info);
    problems.extend(super::block_devices::check_config(config));
    problems.extend(super::spot::check(config));
    problems.extend(super::network::check(config));
    problems.extend(super::image_regions::check(config));
    problems.extend(super::deprecation::check(config));
    problems.extend(super::source_filter::check(config));
    problems.extend(super::launch_settings::check(config));
    problems.extend(super::image_attributes::check(config));
    problems.extend(super::security_groups::check(config));
    problems.extend(super::role_policy::check(config));
    problems.extend(super::tag_templates::check(config));
    let mut problem = |field: &str, message: String| problems.push(Problem::new(field, message));

    let name = &config.app.name;
    check_app_dir(&base.join(&config.app.dir), &mut problem);
    for p in check_unit(&base.join(&config.app.unit), name) {
        problem("app.unit", p);
    }
    if config.app.port == 0 {
        problem("app.port", "must be a TCP port between 1 and 65535".into());
    }

    let source = &config.source;
    if !source.ami.is_empty() {
        if !source.ami.starts_with("ami-") {
            problem(
                "source.ami",
                format!("{:?} is not an AMI id (ami-…)", source.ami),
            );
        }
    } else if source.name.is_empty() && source.filters.is_empty() {
        problem(
            "source",
            "set source.ami, or source.name (or source.filters) with source.owners".into(),
        );
    } else if source.owners.is_empty() {
        problem(
            "source.owners",
            "name at least one owner (amazon, self or an account id) for source.name or source.filters".into(),
        );
    }

    if config.builder.instance_type.is_empty() || !config.builder.instance_type.contains('.') {
        problem(
            "builder.instance_type",
            format!(
                "{:?} is not an instance type (e.g. t3.micro)",
                config.builder.instance_type
            ),
        );
    }
    let subnet = &config.builder.subnet_id;
    if !subnet.is_empty() && !subnet.starts_with("subnet-") {
        problem(
            "builder.subnet_id",
            format!("{subnet:?} is not a subnet id (subnet-…)"),
        );
    }
    let profile = &config.builder.instance_profile;
    if profile.len() > 128
        || !profile
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        problem(
            "builder.instance_profile",
            format!("{profile:?} is not an instance profile name"),
        );
    }
    if let Err(message) = user_data(config, base) {
        problem(
            if config.builder.user_data_file.as_os_str().is_empty() {
                "builder.user_data"
            } else {
                "builder.user_data_file"
            },
            message,
        );
    }
    if !(1..=20).contains(&config.aws.max_attempts) {
        problem("aws.max_attempts", "must be between 1 and 20".into());
    }

    let values = template::values(
        name,
        "123",
        "0123456789abcdef0123456789abcdef01234567",
        "0123456",
        1_700_000_000,
    );
    match template::render(&config.image.name_template, &values) {
        Err(e) => problem("image.name_template", e),
        Ok(rendered) => {
            if let Err(e) = template::check_ami_name(&rendered) {
                problem("image.name_template", e);
            }
            let unique = ["{build}", "{commit}", "{short_commit}", "{timestamp}"];
            if !unique
                .iter()
                .any(|p| config.image.name_template.contains(p))
            {
                problem("image.name_template", "use {build}, {commit}, {short_commit} or {timestamp}: every build needs its own name".into());
            }
        }
    }
    if config.image.keep == 0 {
        problem(
            "image.keep",
            "must be at least 1 (the image just built is always kept)".into(),
        );
    }
    if config.image.force_delete_snapshot && !config.image.force_deregister {
        problem(
            "image.force_delete_snapshot",
            "only works with image.force_deregister = true".into(),
        );
    }
    if !config.image.kms_key_id.is_empty() && !config.image.encrypt_boot {
        problem(
            "image.kms_key_id",
            "only works with image.encrypt_boot = true".into(),
        );
    }
    let account = |a: &String| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit());
    for (field, accounts) in [
        ("image.ami_users", &config.image.ami_users),
        ("image.snapshot_users", &config.image.snapshot_users),
    ] {
        if let Some(bad) = accounts.iter().find(|a| !account(a)) {
            problem(
                field,
                format!("{bad:?} is not an AWS account id (12 digits)"),
            );
        }
    }
    if let Some(bad) = config.image.ami_groups.iter().find(|g| g.as_str() != "all") {
        problem(
            "image.ami_groups",
            format!("{bad:?} is not a group: the only one is \"all\" (public)"),
        );
    }
    for (table, tags) in [
        ("builder.run_tags", &config.builder.run_tags),
        ("builder.run_volume_tags", &config.builder.run_volume_tags),
    ] {
        for (key, value) in tags {
            let field = format!("{table}.{key}");
            if BUILDER_TAGS.contains(&key.as_str()) {
                problem(&field, "baker sets this tag on the builder itself".into());
            } else if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
                problem(
                    &field,
                    "tag keys are 1 to 128 characters and may not start with aws:".into(),
                );
            } else if value.len() > 256 {
                problem(&field, "tag values are at most 256 characters".into());
            }
        }
    }
    let image_tags = config.image.tags.iter().map(|t| ("image.tags", t));
    let snapshot_tags = config
        .image
        .snapshot_tags
        .iter()
        .map(|t| ("image.snapshot_tags", t));
    for (table, (key, value)) in image_tags.chain(snapshot_tags) {
        let field = format!("{table}.{key}");
        if RESERVED_TAGS.contains(&key.as_str()) {
            problem(&field, "baker sets this tag itself".into());
        } else if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
            problem(
                &field,
                "tag keys are 1 to 128 characters and may not start with aws:".into(),
            );
        } else if value.len() > 256 {
            problem(&field, "tag values are at most 256 characters".into());
        }
    }

    if config.delivery.inline_limit > MAX_INLINE_LIMIT {
        problem(
            "delivery.inline_limit",
            format!("at most {MAX_INLINE_LIMIT} bytes fit in an SSM command"),
        );
    }
    for (field, bucket) in [
        ("delivery.bucket", &config.delivery.bucket),
        (
            "communicator.output_s3_bucket",
            &config.communicator.output_s3_bucket,
        ),
    ] {
        if !bucket.is_empty()
            && (!(3..=63).contains(&bucket.len())
                || !bucket
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
        {
            problem(field, format!("{bucket:?} is not an S3 bucket name"));
        }
    }
    if !config.communicator.output_s3_prefix.is_empty()
        && config.communicator.output_s3_bucket.is_empty()
    {
        problem(
            "communicator.output_s3_prefix",
            "needs communicator.output_s3_bucket".into(),
        );
    }

    let w = &config.wait;
    // Bounded, so that no deadline computed from them can overflow (a
    // deadline past the clock's range panics) and a typo does not wait
    // for years: a day is longer than anything a build waits for.
    for (field, value, unit, limit) in [
        (
            "wait.instance_running",
            w.instance_running,
            "seconds",
            MAX_WAIT_SECONDS,
        ),
        ("wait.ssm_online", w.ssm_online, "seconds", MAX_WAIT_SECONDS),
        ("wait.command", w.command, "seconds", MAX_WAIT_SECONDS),
        (
            "wait.instance_stopped",
            w.instance_stopped,
            "seconds",
            MAX_WAIT_SECONDS,
        ),
        (
            "wait.image_available",
            w.image_available,
            "seconds",
            MAX_WAIT_SECONDS,
        ),
        (
            "wait.instance_terminated",
            w.instance_terminated,
            "seconds",
            MAX_WAIT_SECONDS,
        ),
        (
            "wait.snapshot_released",
            w.snapshot_released,
            "seconds",
            MAX_WAIT_SECONDS,
        ),
        (
            "wait.poll_first_ms",
            w.poll_first_ms,
            "milliseconds",
            MAX_WAIT_SECONDS * 1000,
        ),
        (
            "app.health_timeout",
            config.app.health_timeout,
            "seconds",
            MAX_WAIT_SECONDS,
        ),
    ] {
        if value == 0 {
            problem(field, "must be greater than 0".into());
        } else if value > limit {
            problem(
                field,
                format!("{value} {unit} is more than a day: at most {limit}"),
            );
        }
    }
    for (field, value) in [
        ("wait.poll_max_ms", w.poll_max_ms),
        (
            "aws.retry_initial_backoff_ms",
            config.aws.retry_initial_backoff_ms,
        ),
    ] {
        let limit = MAX_WAIT_SECONDS * 1000;
        if value > limit {
            problem(
                field,
                format!("{value} milliseconds is more than a day: at most {limit}"),
            );
        }
    }
    if w.poll_max_ms < w.poll_first_ms {
        problem(
            "wait.poll_max_ms",
            "must not be less than wait.poll_first_ms".into(),
        );
    }
    if config.output.manifest.as_os_str().is_empty() {
        problem("output.manifest", "must name a file".into());
    }

    let kind = &config.communicator.kind;
    if !COMMUNICATORS.contains(&kind.as_str()) {
        problem(
            "communicator.type",
            format!("{kind:?} is not a communicator: use \"ssm\" or \"ssh\""),
        );
    }
    let ssh = &config.ssh;
    if kind == "ssh" && ssh.host.trim().is_empty() {
        problem(
            "ssh.host",
            "must name the host when communicator.type = \"ssh\"".into(),
        );
    }
    if ssh.port == 0 {
        problem("ssh.port", "must be a TCP port between 1 and 65535".into());
    }
    if ssh.user.trim().is_empty() {
        problem("ssh.user", "must name the user to log in as".into());
    }
    if !ssh.known_hosts.as_os_str().is_empty() && !ssh.host_key_fingerprint.is_empty() {
        problem(
            "ssh.host_key_fingerprint",
            "set ssh.known_hosts or ssh.host_key_fingerprint, not both".into(),
        );
    }
    problems
}

/// [`check`], plus what only `baker build` cannot do: it bakes through SSM,
/// so `communicator.type = "ssh"` is refused before any AWS call.
pub fn check_build(config: &Config, base: &Path, info: Option<&BuildInfo>) -> Vec<Problem> {
    let mut problems = check(config, base, info);
    if config.communicator.kind == "ssh" {
        problems.push(Problem::new(
            "communicator.type",
            "building AMIs over SSH is not supported: baker builds through SSM \
             (set communicator.type = \"ssm\"); use `baker provision` for SSH hosts",
        ));
    }
    problems
}

fn check_app_dir(dir: &Path, problem: &mut impl FnMut(&str, String)) {
    match std::fs::read_dir(dir) {
        Err(e) => problem("app.dir", format!("{}: {e}", dir.display())),
        Ok(mut entries) => {
            if entries.next().is_none() {
                problem("app.dir", format!("{} is empty", dir.display()));
            }
        }
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
