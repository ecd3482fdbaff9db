//! Overriding config keys from the environment and from flags.
//!
//! Every key `section.key` can be set with `BAKER_SECTION_KEY` (upper case,
//! dots as underscores) or `--set section.key=value`; a few common ones also
//! have a short variable (`BAKER_KEEP`) and a flag of their own (`--keep`).

use std::path::PathBuf;

use super::Config;
use crate::error::Error;

/// Every key that can be overridden, as written in `baker.toml`.
pub const KEYS: &[&str] = &[
    "app.name",
    "app.dir",
    "app.unit",
    "app.port",
    "app.node_package",
    "app.health_timeout",
    "source.ami",
    "source.name",
    "source.owners",
    "source.architecture",
    "builder.instance_type",
    "builder.instance_profile",
    "builder.subnet_id",
    "builder.volume_size",
    "builder.associate_public_ip_address",
    "builder.user_data",
    "builder.user_data_file",
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
    "delivery.inline_limit",
    "delivery.bucket",
    "wait.instance_running",
    "wait.ssm_online",
    "wait.command",
    "wait.instance_stopped",
    "wait.image_available",
    "wait.instance_terminated",
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
        let text = value.to_string();
        match key {
            "app.name" => self.app.name = text,
            "app.dir" => self.app.dir = PathBuf::from(text),
            "app.unit" => self.app.unit = PathBuf::from(text),
            "app.port" => self.app.port = number(value)?,
            "app.node_package" => self.app.node_package = text,
            "app.health_timeout" => self.app.health_timeout = number(value)?,
            "source.ami" => self.source.ami = text,
            "source.name" => self.source.name = text,
            "source.owners" => self.source.owners = list(value),
            "image.ami_users" => self.image.ami_users = list(value),
            "image.ami_groups" => self.image.ami_groups = list(value),
            "image.snapshot_users" => self.image.snapshot_users = list(value),
            "source.architecture" => self.source.architecture = text,
            "builder.instance_type" => self.builder.instance_type = text,
            "builder.instance_profile" => self.builder.instance_profile = text,
            "builder.subnet_id" => self.builder.subnet_id = text,
            "builder.volume_size" => self.builder.volume_size = number(value)?,
            "builder.user_data" => self.builder.user_data = text,
            "builder.user_data_file" => self.builder.user_data_file = PathBuf::from(text),
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
                } else if let Some(tag) = key.strip_prefix("builder.run_tags.") {
                    self.builder.run_tags.insert(tag.to_string(), text);
                } else if let Some(tag) = key.strip_prefix("builder.run_volume_tags.") {
                    self.builder.run_volume_tags.insert(tag.to_string(), text);
                } else {
                    return Err(format!(
                        "unknown key `{key}` (known keys: {}, image.tags.<name>, builder.run_tags.<name>, builder.run_volume_tags.<name>)",
                        KEYS.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_can_be_set() {
        let mut config = Config::default();
        for key in KEYS {
            let value = if key.starts_with("image.force_")
                || *key == "image.encrypt_boot"
                || *key == "builder.associate_public_ip_address"
            {
                "true"
            } else {
                "7"
            };
            config
                .set(key, value)
                .unwrap_or_else(|e| panic!("{key}: {e}"));
        }
        assert_eq!(config.image.keep, 7);
        assert!(config.image.force_deregister && config.image.force_delete_snapshot);
        let err = config
            .set("image.force_deregister", "maybe")
            .expect_err("not a bool");
        assert!(err.contains("true or false"), "{err}");
    }

    #[test]
    fn env_overrides_the_file_and_names_the_variable_on_error() {
        let mut config = Config::default();
        let env = |name: &str| match name {
            "BAKER_KEEP" => Some("2".to_string()),
            "BAKER_SOURCE_AMI" => Some("ami-123".to_string()),
            "BAKER_APP_PORT" => Some("".to_string()),
            _ => None,
        };
        apply_env(&mut config, &env).expect("applies");
        assert_eq!(config.image.keep, 2);
        assert_eq!(config.source.ami, "ami-123");
        assert_eq!(config.app.port, 8080);

        let ssh = |name: &str| match name {
            "BAKER_COMMUNICATOR_TYPE" => Some("ssh".to_string()),
            "BAKER_SSH_HOST" => Some("h.example".to_string()),
            "BAKER_SSH_USER" => Some("ec2-user".to_string()),
            _ => None,
        };
        apply_env(&mut config, &ssh).expect("applies");
        assert_eq!(config.communicator.kind, "ssh");
        assert_eq!(config.ssh.host, "h.example");
        assert_eq!(config.ssh.user, "ec2-user");

        let bad = |name: &str| (name == "BAKER_WAIT_SSM_ONLINE").then(|| "soon".to_string());
        let err = apply_env(&mut config, &bad).expect_err("not a number");
        assert!(err.to_string().contains("BAKER_WAIT_SSM_ONLINE"), "{err}");
    }

    #[test]
    fn set_pairs_and_tags() {
        let mut config = Config::default();
        apply_sets(
            &mut config,
            &[
                "image.tags.team=web".into(),
                "source.owners=self, amazon".into(),
            ],
        )
        .expect("applies");
        assert_eq!(
            config.image.tags.get("team").map(String::as_str),
            Some("web")
        );
        assert_eq!(config.source.owners, vec!["self", "amazon"]);
        apply_sets(
            &mut config,
            &[
                "communicator.type=ssh".into(),
                "ssh.host=10.0.0.2".into(),
                "ssh.port=2222".into(),
            ],
        )
        .expect("applies");
        assert_eq!(config.communicator.kind, "ssh");
        assert_eq!(config.ssh.host, "10.0.0.2");
        assert_eq!(config.ssh.port, 2222);
        let err = apply_sets(&mut config, &["ssh.port=70000".into()]).expect_err("range");
        assert!(err.to_string().contains("ssh.port"), "{err}");
        let err = apply_sets(&mut config, &["image.kep=3".into()]).expect_err("unknown");
        assert!(err.to_string().contains("image.kep"), "{err}");
    }
}

#[cfg(test)]
mod docs_tests {
    use super::KEYS;

    /// docs/baker.md names every key (as `section.key`), and the example
    /// baker.toml shows every section, so neither can drift from the code.
    #[test]
    fn every_key_is_documented_and_every_section_shown() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let docs = std::fs::read_to_string(root.join("docs/baker.md")).expect("docs/baker.md");
        let example = std::fs::read_to_string(root.join("baker.toml")).expect("baker.toml");
        let undocumented: Vec<&str> = KEYS
            .iter()
            .copied()
            .filter(|k| !docs.contains(&format!("`{k}`")))
            .collect();
        assert!(
            undocumented.is_empty(),
            "docs/baker.md does not document {undocumented:?}"
        );
        for key in KEYS {
            let section = key.split('.').next().unwrap_or_default();
            assert!(
                example.contains(&format!("[{section}]")),
                "baker.toml has no [{section}] section"
            );
        }
    }
}
