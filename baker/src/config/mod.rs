//! `baker.toml`: what to bake and how. Every key has a default, can be set in
//! the file, and can be overridden by a `BAKER_*` variable or a flag
//! (see [`keys`]); precedence is defaults < file < environment < flags.

pub mod block_devices;
pub mod ci;
pub mod communicator;
pub mod deprecation;
pub mod image;
pub mod image_attributes;
pub mod image_regions;
pub mod keys;
pub mod launch_settings;
pub mod names;
pub mod network;
pub mod role_policy;
pub mod script_inputs;
pub mod security_groups;
pub mod source_filter;
pub mod spot;
pub mod tag_templates;
pub mod unit;
pub mod user_data;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

pub use communicator::{COMMUNICATORS, CommunicatorConfig, SshConfig};
pub use image::ImageConfig;

/// The file read when `--config` is not given.
pub const DEFAULT_PATH: &str = "baker.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Config {
    pub app: AppConfig,
    pub source: SourceConfig,
    pub builder: BuilderConfig,
    pub aws: AwsConfig,
    pub image: ImageConfig,
    pub delivery: DeliveryConfig,
    pub wait: WaitConfig,
    pub output: OutputConfig,
    pub communicator: CommunicatorConfig,
    pub ssh: SshConfig,
}

/// What is installed on the image.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AppConfig {
    /// Names `/opt/<name>`, `/etc/<name>/app.env`, the image and its `app` tag.
    pub name: String,
    /// The app's directory, shipped whole to `/opt/<name>`.
    pub dir: PathBuf,
    /// The systemd unit installed as `/etc/systemd/system/<file name>`.
    pub unit: PathBuf,
    /// `APP_PORT` in the environment file; `/health` is checked on it.
    pub port: u16,
    /// The distribution package installed when `node` is missing.
    pub node_package: String,
    /// Seconds the provisioning plan waits for `/health` to answer 200.
    pub health_timeout: u64,
    /// `.env*` files (paths relative to `dir`) shipped all the same; every
    /// other `.env*` file is left out of the bundle.
    pub include: Vec<String>,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            name: "nodeapp".into(),
            dir: "app".into(),
            unit: "systemd/nodeapp.service".into(),
            port: 8080,
            node_package: "nodejs".into(),
            health_timeout: 30,
            include: Vec::new(),
        }
    }
}

/// The AMI the builder boots from: an id, or the newest image matching a
/// name filter among the given owners.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SourceConfig {
    pub ami: String,
    pub name: String,
    pub owners: Vec<String>,
    pub architecture: String,
    /// DescribeImages filters (Packer's `source_ami_filter.filters`); when
    /// given they choose the image instead of `name` and `architecture`.
    pub filters: BTreeMap<String, String>,
    /// Of several matching images take the newest (Packer's
    /// `most_recent`); `false`: several matches are an error.
    pub most_recent: bool,
}

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            ami: String::new(),
            name: "al2023-ami-2023.*-x86_64".into(),
            owners: vec!["amazon".into()],
            architecture: "x86_64".into(),
            filters: BTreeMap::new(),
            most_recent: true,
        }
    }
}

/// The temporary builder instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BuilderConfig {
    pub instance_type: String,
    /// An existing instance profile; empty: a temporary role and profile
    /// with `AmazonSSMManagedInstanceCore` are created and removed.
    pub instance_profile: String,
    /// Empty: the default VPC's default subnet.
    pub subnet_id: String,
    /// Size of the root volume in GiB; 0 keeps the source AMI's.
    pub volume_size: u32,
    /// Extra tags on the builder instance (Packer's `run_tags`).
    pub run_tags: BTreeMap<String, String>,
    /// Extra tags on the builder's volumes (Packer's `run_volume_tags`).
    pub run_volume_tags: BTreeMap<String, String>,
    /// Packer's `launch_block_device_mappings`: volumes of the builder.
    pub launch_block_device_mappings: Vec<block_devices::BlockDevice>,
    /// Give the builder a public IP (or not); unset: the subnet's setting.
    pub associate_public_ip_address: Option<bool>,
    /// User data for the builder (cloud-init), as text.
    pub user_data: String,
    /// User data read from this file (relative to the config's directory).
    pub user_data_file: PathBuf,
    /// Spot builder (Packer's `spot_price`): empty: on-demand; `auto`: up
    /// to the on-demand price; else the maximum price per hour.
    pub spot_price: String,
    /// Instance types a spot builder may be, tried in order.
    pub spot_instance_types: Vec<String>,
    /// Launch on-demand when no spot capacity is to be had.
    pub spot_fallback: bool,
    /// The subnet: the one matching these EC2 filters (Packer's `subnet_filter`).
    pub subnet_filter: BTreeMap<String, String>,
    /// Among several matching subnets, take the one with most free addresses.
    pub subnet_filter_most_free: bool,
    /// The subnet is in the one VPC matching these filters (Packer's `vpc_filter`).
    pub vpc_filter: BTreeMap<String, String>,
    /// The builder's instance metadata service (Packer's `metadata_options`).
    pub metadata_options: launch_settings::MetadataOptions,
    /// What an instance-initiated shutdown does (Packer's
    /// `shutdown_behavior`): `stop` or `terminate`; empty: AWS's default.
    pub shutdown_behavior: String,
    /// Existing security groups for the builder (Packer's
    /// `security_group_ids`); no temporary group is made.
    pub security_group_ids: Vec<String>,
    /// Existing security groups matching these EC2 filters (Packer's
    /// `security_group_filter`); no temporary group is made.
    pub security_group_filter: BTreeMap<String, String>,
    /// An IAM policy (JSON) the temporary role gets besides what baker
    /// needs (Packer's `temporary_iam_instance_profile_policy_document`).
    pub temporary_iam_instance_profile_policy_document: String,
}

impl Default for BuilderConfig {
    fn default() -> Self {
        Self {
            instance_type: "t3.micro".into(),
            instance_profile: String::new(),
            subnet_id: String::new(),
            volume_size: 0,
            run_tags: BTreeMap::new(),
            run_volume_tags: BTreeMap::new(),
            launch_block_device_mappings: Vec::new(),
            associate_public_ip_address: None,
            user_data: String::new(),
            user_data_file: PathBuf::new(),
            spot_price: String::new(),
            spot_instance_types: Vec::new(),
            spot_fallback: true,
            subnet_filter: BTreeMap::new(),
            subnet_filter_most_free: true,
            vpc_filter: BTreeMap::new(),
            metadata_options: launch_settings::MetadataOptions::default(),
            shutdown_behavior: String::new(),
            security_group_ids: Vec::new(),
            security_group_filter: BTreeMap::new(),
            temporary_iam_instance_profile_policy_document: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AwsConfig {
    /// Empty: `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region.
    pub region: String,
    pub profile: String,
    /// Attempts per AWS call (throttling and transient errors are retried).
    pub max_attempts: u32,
    /// First retry delay in milliseconds (doubles, with jitter).
    pub retry_initial_backoff_ms: u64,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            region: String::new(),
            profile: String::new(),
            max_attempts: 5,
            retry_initial_backoff_ms: 1000,
        }
    }
}

/// How the app reaches the builder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DeliveryConfig {
    /// Bundles up to this many bytes (base64) travel inside the SSM command;
    /// larger ones go through S3 and a presigned URL.
    pub inline_limit: u64,
    /// An existing bucket for large bundles; empty: a temporary bucket.
    pub bucket: String,
}

/// The most SSM accepts comfortably in one command's parameters.
pub const MAX_INLINE_LIMIT: u64 = 48 * 1024;

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            inline_limit: 24 * 1024,
            bucket: String::new(),
        }
    }
}

/// Time limits (seconds) and polling of the waits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct WaitConfig {
    pub instance_running: u64,
    pub ssm_online: u64,
    pub command: u64,
    pub instance_stopped: u64,
    pub image_available: u64,
    pub instance_terminated: u64,
    /// Seconds DeleteSnapshot is retried while AWS still holds a snapshot
    /// of an image just deregistered (`InvalidSnapshot.InUse`).
    pub snapshot_released: u64,
    /// First poll interval in milliseconds; doubles up to `poll_max_ms`.
    pub poll_first_ms: u64,
    pub poll_max_ms: u64,
}

impl Default for WaitConfig {
    fn default() -> Self {
        Self {
            instance_running: 600,
            ssm_online: 600,
            command: 1800,
            instance_stopped: 900,
            image_available: 3600,
            instance_terminated: 900,
            snapshot_released: 300,
            poll_first_ms: 500,
            poll_max_ms: 10_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OutputConfig {
    /// Where `manifest.json` is written (appended to, like Packer's).
    pub manifest: PathBuf,
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self {
            manifest: "manifest.json".into(),
        }
    }
}

impl Config {
    /// Reads a config file; every unknown key is reported at once.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            message: match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "not found (pass --config or create it; see docs/baker.md)".into()
                }
                _ => e.to_string(),
            },
        })?;
        Self::parse(&text, path)
    }

    /// Parses `text` as the contents of `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let bad = |e: toml::de::Error| Error::ConfigFile {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        };
        let deserializer = toml::Deserializer::parse(text).map_err(bad)?;
        let mut unknown = Vec::new();
        let config: Config = serde_ignored::deserialize(deserializer, |p| {
            unknown.push(format!(
                "`{}`",
                block_devices::bracket_indices(&p.to_string())
            ));
        })
        .map_err(bad)?;
        if unknown.is_empty() {
            Ok(config)
        } else {
            Err(Error::UnknownKeys {
                path: path.to_path_buf(),
                keys: unknown,
            })
        }
    }

    /// Reads `path` when it exists, the defaults otherwise (for commands
    /// that can run without a config file).
    pub fn load_optional(path: &Path) -> Result<Config, Error> {
        if path.exists() {
            Self::load(path)
        } else {
            Ok(Config::default())
        }
    }
}

/// The directory relative paths in the config are resolved against.
pub fn base_dir(config_path: &Path) -> PathBuf {
    match config_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests;
