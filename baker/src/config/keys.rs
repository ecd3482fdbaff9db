//! Overriding config keys from the environment and from flags.
//!
//! Every key `section.key` can be set with `BAKER_SECTION_KEY` (upper case,
//! dots as underscores) or `--set section.key=value`; a few common ones also
//! have a short variable (`BAKER_KEEP`) and a flag of their own (`--keep`).

use std::path::PathBuf;

use super::Config;
use super::network::parse_filters;
use crate::error::Error;

/// Every key that can be overridden, as written in `baker.toml`.
pub const KEYS: &[&str] = &[
    "app.name",
    "app.dir",
    "app.unit",
    "app.port",
    "app.node_package",
    "app.health_timeout",
    "app.include",
    "source.ami",
    "source.name",
    "source.owners",
    "source.architecture",
    "source.filters",
    "source.most_recent",
    "builder.instance_type",
    "builder.instance_profile",
    "builder.subnet_id",
    "builder.volume_size",
    "builder.associate_public_ip_address",
    "builder.user_data",
    "builder.user_data_file",
    "builder.spot_price",
    "builder.spot_instance_types",
    "builder.spot_fallback",
    "builder.subnet_filter",
    "builder.subnet_filter_most_free",
    "builder.vpc_filter",
    "builder.metadata_options.http_endpoint",
    "builder.metadata_options.http_tokens",
    "builder.metadata_options.http_put_response_hop_limit",
    "builder.metadata_options.instance_metadata_tags",
    "builder.shutdown_behavior",
    "builder.security_group_ids",
    "builder.security_group_filter",
    "builder.temporary_iam_instance_profile_policy_document",
    "aws.region",
    "aws.profile",
    "aws.max_attempts",
    "aws.retry_initial_backoff_ms",
    "image.name_template",
    "image.keep",
    "image.force_deregister",
    "image.force_delete_snapshot",
    "image.encrypt_boot",
    "image.kms_key_id",
    "image.ami_users",
    "image.ami_groups",
    "image.snapshot_users",
    "image.ami_regions",
    "image.region_kms_key_ids",
    "image.deprecate_at",
    "image.generalize",
    "image.imds_support",
    "image.ena_support",
    "image.sriov_support",
    "image.skip_create_ami",
    "delivery.inline_limit",
    "delivery.bucket",
    "wait.instance_running",
    "wait.ssm_online",
    "wait.command",
    "wait.instance_stopped",
    "wait.image_available",
    "wait.instance_terminated",
    "wait.snapshot_released",
    "wait.poll_first_ms",
    "wait.poll_max_ms",
    "output.manifest",
    "communicator.type",
    "communicator.output_s3_bucket",
    "communicator.output_s3_prefix",
    "communicator.cloudwatch_log_group",
    "ssh.host",
    "ssh.port",
    "ssh.user",
    "ssh.key_file",
    "ssh.known_hosts",
    "ssh.host_key_fingerprint",
];

/// Keys only `baker.toml` can set: arrays of tables, which neither `--set`
/// nor a `BAKER_*` variable can spell; both are refused, naming the key.
pub const FILE_ONLY_KEYS: &[&str] = &[
    super::block_devices::LAUNCH_KEY,
    super::block_devices::AMI_KEY,
];

/// Why `key` (or a part of it, `key[0].iops`) cannot be overridden.
fn file_only(key: &str) -> Option<String> {
    let table = FILE_ONLY_KEYS.iter().find(|k| {
        key.strip_prefix(**k)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('[') || rest.starts_with('.'))
    })?;
    Some(format!(
        "`{table}` is an array of tables: set it in baker.toml ([[{table}]]); \
         --set and BAKER_* variables cannot"
    ))
}

/// Short variables for the keys people set most.
const ALIASES: &[(&str, &str)] = &[
    ("image.keep", "BAKER_KEEP"),
    ("builder.instance_type", "BAKER_INSTANCE_TYPE"),
    ("builder.instance_profile", "BAKER_INSTANCE_PROFILE"),
    ("builder.subnet_id", "BAKER_SUBNET_ID"),
    ("output.manifest", "BAKER_MANIFEST"),
    ("image.force_deregister", "BAKER_FORCE_DEREGISTER"),
    ("image.force_delete_snapshot", "BAKER_FORCE_DELETE_SNAPSHOT"),
];

/// `BAKER_IMAGE_KEEP` for `image.keep`.
pub fn env_name(key: &str) -> String {
    format!("BAKER_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Applies every `BAKER_*` variable that names a key; an empty value is
/// ignored (CI systems often export empty variables).
pub fn apply_env(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), Error> {
    for key in FILE_ONLY_KEYS {
        let var = env_name(key);
        if let Some(message) = env(&var).filter(|v| !v.is_empty()).and(file_only(key)) {
            return Err(Error::Override {
                source_name: var,
                message,
            });
        }
    }
    for key in KEYS {
        let aliases = ALIASES
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.to_string());
        for var in aliases.chain(std::iter::once(env_name(key))) {
            if let Some(value) = env(&var).filter(|v| !v.is_empty()) {
                config.set(key, &value).map_err(|message| Error::Override {
                    source_name: var.clone(),
                    message,
                })?;
            }
        }
    }
    Ok(())
}

/// Applies `--set key=value` pairs, in order.
pub fn apply_sets(config: &mut Config, sets: &[String]) -> Result<(), Error> {
    for pair in sets {
        let (key, value) = pair.split_once('=').ok_or_else(|| Error::Override {
            source_name: format!("--set {pair}"),
            message: "expected key=value, e.g. --set image.keep=3".into(),
        })?;
        config
            .set(key.trim(), value)
            .map_err(|message| Error::Override {
                source_name: format!("--set {key}"),
                message,
            })?;
    }
    Ok(())
}

fn number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a whole number in range"))
}

/// A comma-separated list.
fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Comma-separated `name=value` pairs (`eu-west-1=alias/a,us-west-2=alias/b`).
fn pairs(value: &str) -> Result<std::collections::BTreeMap<String, String>, String> {
    list(value)
        .into_iter()
        .map(|pair| match pair.split_once('=') {
            Some((name, v)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(format!(
                "{pair:?} is not name=value (e.g. eu-west-1=alias/images)"
            )),
        })
        .collect()
}

fn boolean(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("{value:?} is not true or false")),
    }
}

impl Config {
    /// Sets one key from its text form.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if let Some(message) = file_only(key) {
            return Err(message);
        }
        let text = value.to_string();
        match key {
            "app.name" => self.app.name = text,
            "app.dir" => self.app.dir = PathBuf::from(text),
            "app.unit" => self.app.unit = PathBuf::from(text),
            "app.port" => self.app.port = number(value)?,
            "app.node_package" => self.app.node_package = text,
            "app.health_timeout" => self.app.health_timeout = number(value)?,
            "app.include" => self.app.include = list(value),
            "source.ami" => self.source.ami = text,
            "source.name" => self.source.name = text,
            "source.owners" => self.source.owners = list(value),
            "image.ami_users" => self.image.ami_users = list(value),
            "image.ami_groups" => self.image.ami_groups = list(value),
            "image.snapshot_users" => self.image.snapshot_users = list(value),
            "image.ami_regions" => self.image.ami_regions = list(value),
            "image.region_kms_key_ids" => self.image.region_kms_key_ids = pairs(value)?,
            "image.deprecate_at" => self.image.deprecate_at = value.trim().to_string(),
            "source.architecture" => self.source.architecture = text,
            "source.filters" => self.source.filters = parse_filters(value)?,
            "source.most_recent" => self.source.most_recent = boolean(value)?,
            "builder.instance_type" => self.builder.instance_type = text,
            "builder.instance_profile" => self.builder.instance_profile = text,
            "builder.subnet_id" => self.builder.subnet_id = text,
            "builder.volume_size" => self.builder.volume_size = number(value)?,
            "builder.user_data" => self.builder.user_data = text,
            "builder.user_data_file" => self.builder.user_data_file = PathBuf::from(text),
            "builder.spot_price" => self.builder.spot_price = value.trim().to_string(),
            "builder.spot_instance_types" => self.builder.spot_instance_types = list(value),
            "builder.spot_fallback" => self.builder.spot_fallback = boolean(value)?,
            "builder.subnet_filter" => self.builder.subnet_filter = parse_filters(value)?,
            "builder.subnet_filter_most_free" => {
                self.builder.subnet_filter_most_free = boolean(value)?;
            }
            "builder.vpc_filter" => self.builder.vpc_filter = parse_filters(value)?,
            "builder.metadata_options.http_endpoint" => {
                self.builder.metadata_options.http_endpoint = value.trim().to_string();
            }
            "builder.metadata_options.http_tokens" => {
                self.builder.metadata_options.http_tokens = value.trim().to_string();
            }
            "builder.metadata_options.http_put_response_hop_limit" => {
                self.builder.metadata_options.http_put_response_hop_limit = number(value)?;
            }
            "builder.metadata_options.instance_metadata_tags" => {
                self.builder.metadata_options.instance_metadata_tags = value.trim().to_string();
            }
            "builder.shutdown_behavior" => {
                self.builder.shutdown_behavior = value.trim().to_string()
            }
            "builder.security_group_ids" => self.builder.security_group_ids = list(value),
            "builder.security_group_filter" => {
                self.builder.security_group_filter = parse_filters(value)?;
            }
            "builder.temporary_iam_instance_profile_policy_document" => {
                self.builder.temporary_iam_instance_profile_policy_document = text;
            }
            "image.imds_support" => self.image.imds_support = value.trim().to_string(),
            "image.ena_support" => self.image.ena_support = Some(boolean(value)?),
            "image.sriov_support" => self.image.sriov_support = boolean(value)?,
            "image.skip_create_ami" => self.image.skip_create_ami = boolean(value)?,
            "builder.associate_public_ip_address" => {
                self.builder.associate_public_ip_address = Some(boolean(value)?);
            }
            "aws.region" => self.aws.region = text,
            "aws.profile" => self.aws.profile = text,
            "aws.max_attempts" => self.aws.max_attempts = number(value)?,
            "aws.retry_initial_backoff_ms" => self.aws.retry_initial_backoff_ms = number(value)?,
            "image.name_template" => self.image.name_template = text,
            "image.keep" => self.image.keep = number(value)?,
            "image.force_deregister" => self.image.force_deregister = boolean(value)?,
            "image.generalize" => self.image.generalize = boolean(value)?,
            "image.force_delete_snapshot" => self.image.force_delete_snapshot = boolean(value)?,
            "image.encrypt_boot" => self.image.encrypt_boot = boolean(value)?,
            "image.kms_key_id" => self.image.kms_key_id = text,
            "delivery.inline_limit" => self.delivery.inline_limit = number(value)?,
            "delivery.bucket" => self.delivery.bucket = text,
            "wait.instance_running" => self.wait.instance_running = number(value)?,
            "wait.ssm_online" => self.wait.ssm_online = number(value)?,
            "wait.command" => self.wait.command = number(value)?,
            "wait.instance_stopped" => self.wait.instance_stopped = number(value)?,
            "wait.image_available" => self.wait.image_available = number(value)?,
            "wait.instance_terminated" => self.wait.instance_terminated = number(value)?,
            "wait.snapshot_released" => self.wait.snapshot_released = number(value)?,
            "wait.poll_first_ms" => self.wait.poll_first_ms = number(value)?,
            "wait.poll_max_ms" => self.wait.poll_max_ms = number(value)?,
            "output.manifest" => self.output.manifest = PathBuf::from(text),
            "communicator.type" => self.communicator.kind = value.trim().to_ascii_lowercase(),
            "communicator.output_s3_bucket" => self.communicator.output_s3_bucket = text,
            "communicator.output_s3_prefix" => self.communicator.output_s3_prefix = text,
            "communicator.cloudwatch_log_group" => self.communicator.cloudwatch_log_group = text,
            "ssh.host" => self.ssh.host = text,
            "ssh.port" => self.ssh.port = number(value)?,
            "ssh.user" => self.ssh.user = text,
            "ssh.key_file" => self.ssh.key_file = PathBuf::from(text),
            "ssh.known_hosts" => self.ssh.known_hosts = PathBuf::from(text),
            "ssh.host_key_fingerprint" => self.ssh.host_key_fingerprint = text,
            _ => {
                if let Some(tag) = key.strip_prefix("image.tags.") {
                    self.image.tags.insert(tag.to_string(), text);
                } else if let Some(region) = key.strip_prefix("image.region_kms_key_ids.") {
                    self.image
                        .region_kms_key_ids
                        .insert(region.to_string(), value.trim().to_string());
                } else if let Some(tag) = key.strip_prefix("builder.run_tags.") {
                    self.builder.run_tags.insert(tag.to_string(), text);
                } else if let Some(tag) = key.strip_prefix("builder.run_volume_tags.") {
                    self.builder.run_volume_tags.insert(tag.to_string(), text);
                } else if let Some(name) = key.strip_prefix("builder.subnet_filter.") {
                    self.builder.subnet_filter.insert(name.to_string(), text);
                } else if let Some(tag) = key.strip_prefix("image.snapshot_tags.") {
                    self.image.snapshot_tags.insert(tag.to_string(), text);
                } else if let Some(name) = key.strip_prefix("builder.security_group_filter.") {
                    self.builder
                        .security_group_filter
                        .insert(name.to_string(), text);
                } else if let Some(name) = key.strip_prefix("source.filters.") {
                    self.source.filters.insert(name.to_string(), text);
                } else if let Some(name) = key.strip_prefix("builder.vpc_filter.") {
                    self.builder.vpc_filter.insert(name.to_string(), text);
                } else {
                    return Err(format!(
                        "unknown key `{key}` (known keys: {}, image.tags.<name>, image.region_kms_key_ids.<region>, builder.run_tags.<name>, builder.run_volume_tags.<name>, builder.subnet_filter.<name>, builder.vpc_filter.<name>, source.filters.<name>, image.snapshot_tags.<name>, builder.security_group_filter.<name>)",
                        KEYS.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
