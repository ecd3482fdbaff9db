//! `[communicator]` (how baker talks to the machine it provisions, and
//! where SSM keeps command output) and `[ssh]` (the host `baker provision`
//! reaches).

use std::path::PathBuf;

use serde::Deserialize;

/// How baker talks to the machine it provisions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CommunicatorConfig {
    /// `ssm` (the default, and the only one `baker build` supports) or `ssh`
    /// (`baker provision` against an existing host).
    #[serde(rename = "type")]
    pub kind: String,
    /// A bucket where SSM writes each command's whole output.
    pub output_s3_bucket: String,
    /// Key prefix in `output_s3_bucket`.
    pub output_s3_prefix: String,
    /// A CloudWatch Logs group where SSM sends each command's output.
    pub cloudwatch_log_group: String,
}

/// The communicator types `communicator.type` accepts.
pub const COMMUNICATORS: &[&str] = &["ssm", "ssh"];

impl Default for CommunicatorConfig {
    fn default() -> Self {
        Self {
            kind: "ssm".into(),
            output_s3_bucket: String::new(),
            output_s3_prefix: String::new(),
            cloudwatch_log_group: String::new(),
        }
    }
}

/// The host `baker provision` reaches over SSH; flags and `BAKER_SSH_*`
/// variables override each key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SshConfig {
    /// Name or address; required with `communicator.type = "ssh"`.
    pub host: String,
    pub port: u16,
    /// root, or a user that may `sudo -n`.
    pub user: String,
    /// Empty: the keys of a running ssh-agent.
    pub key_file: PathBuf,
    /// Empty: `~/.ssh/known_hosts` (unless `host_key_fingerprint` is set).
    pub known_hosts: PathBuf,
    /// `SHA256:...` as `ssh-keygen -lf` prints it, instead of `known_hosts`.
    pub host_key_fingerprint: String,
}

impl Default for SshConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 22,
            user: "root".into(),
            key_file: PathBuf::new(),
            known_hosts: PathBuf::new(),
            host_key_fingerprint: String::new(),
        }
    }
}
