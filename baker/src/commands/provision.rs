//! `baker provision --host ADDR ...`: provision an existing host over SSH,
//! without making an image. The app bundle is uploaded to where the
//! delivery step puts it on a builder, then the very plan `baker build` runs
//! through SSM (src/provision.rs) runs, as root, with its output streamed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use crate::bundle;
use crate::cli::ConfigArgs;
use crate::communicator::ssh::{HostKeyCheck, Ssh, SshError, SshTarget};
use crate::config::{base_dir, ci, validate};
use crate::error::{Error, Problem, Problems, StepError};
use crate::progress::Progress;
use crate::provision::{BUNDLE_PATH, Plan, REMOTE_DIR};
use crate::signals::Signals;

/// How to reach the host (the ssh communicator).
#[derive(Debug, Clone, Args)]
pub struct SshArgs {
    /// The host to provision (name or address).
    #[arg(long, env = "BAKER_SSH_HOST")]
    pub host: String,
    /// Its SSH port.
    #[arg(long, env = "BAKER_SSH_PORT", default_value_t = 22)]
    pub port: u16,
    /// The user to log in as: root, or one that may `sudo -n`.
    #[arg(long, env = "BAKER_SSH_USER", default_value = "root")]
    pub user: String,
    /// The private key (default: the keys of a running ssh-agent).
    #[arg(long, env = "BAKER_SSH_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// known_hosts file listing the host's key (default ~/.ssh/known_hosts).
    #[arg(long, env = "BAKER_SSH_KNOWN_HOSTS")]
    pub known_hosts: Option<PathBuf>,
    /// Pin the host key instead: SHA256:... as `ssh-keygen -lf` prints it.
    #[arg(
        long,
        env = "BAKER_SSH_HOST_KEY_FINGERPRINT",
        conflicts_with = "known_hosts"
    )]
    pub host_key_fingerprint: Option<String>,
    /// Seconds to wait for the TCP connection and each SSH exchange.
    #[arg(long, env = "BAKER_SSH_CONNECT_TIMEOUT", default_value_t = 30)]
    pub connect_timeout: u64,
}

impl SshArgs {
    pub fn target(&self) -> Result<SshTarget, Problem> {
        let host_key = match (&self.host_key_fingerprint, &self.known_hosts) {
            (Some(fingerprint), _) => HostKeyCheck::Fingerprint(fingerprint.clone()),
            (None, Some(path)) => HostKeyCheck::KnownHosts(path.clone()),
            (None, None) => match std::env::var_os("HOME") {
                Some(home) => {
                    HostKeyCheck::KnownHosts(PathBuf::from(home).join(".ssh/known_hosts"))
                }
                None => {
                    return Err(Problem::new(
                        "--known-hosts",
                        "HOME is not set: pass --known-hosts or --host-key-fingerprint",
                    ));
                }
            },
        };
        if self.host.trim().is_empty() {
            return Err(Problem::new("--host", "must name the host to provision"));
        }
        Ok(SshTarget {
            host: self.host.trim().to_string(),
            port: self.port,
            user: self.user.clone(),
            key_file: self.key_file.clone(),
            host_key,
            connect_timeout: Duration::from_secs(self.connect_timeout.max(1)),
        })
    }
}

#[derive(Debug, Clone, Args)]
pub struct ProvisionArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub ssh: SshArgs,
    /// The commit installed (default: TRAVIS_COMMIT, GITHUB_SHA, else git rev-parse HEAD).
    #[arg(long, env = "BAKER_COMMIT")]
    pub commit: Option<String>,
    /// The build number (default: TRAVIS_BUILD_NUMBER, GITHUB_RUN_NUMBER, else "local").
    #[arg(long, env = "BAKER_BUILD_NUMBER")]
    pub build_number: Option<String>,
}

/// Where the plan itself is uploaded next to the bundle (removed by the plan).
pub fn plan_path() -> String {
    format!("{REMOTE_DIR}/provision.sh")
}

pub async fn run(args: ProvisionArgs) -> Result<u8, Error> {
    let config = super::load_config(&args.config, &[], true)?;
    let base = base_dir(&args.config.config);
    let mut problems = validate::check(&config, &base);
    let env = |name: &str| std::env::var(name).ok();
    let info = ci::detect(
        args.commit.as_deref(),
        args.build_number.as_deref(),
        &env,
        &base,
    )
    .map_err(|message| problems.push(Problem::new("commit", message)))
    .ok();
    let target = args.ssh.target().map_err(|p| problems.push(p)).ok();
    let (Some(info), Some(target)) = (info, target) else {
        return Err(Error::Invalid(Problems(problems)));
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(Problems(problems)));
    }
    let unit = base.join(&config.app.unit);
    let bundle = bundle::pack(&base.join(&config.app.dir), &unit)?;
    let plan = Plan {
        app: config.app.name.clone(),
        unit: bundle::unit_file_name(&unit)?,
        port: config.app.port,
        commit: info.commit.clone(),
        build: info.build.clone(),
        node_package: config.app.node_package.clone(),
        health_timeout: config.app.health_timeout,
    };
    let script = plan.render();
    let timeout = Duration::from_secs(config.wait.command.max(1));
    let signals = Signals::install().map_err(Error::Signals)?;
    let progress = Progress::detect();
    progress.info(&format!(
        "provisioning {}@{}:{} with {} (commit {}, build {}) over SSH",
        target.user, target.host, target.port, plan.app, plan.commit, plan.build
    ));
    let stop = signals.stop.clone();
    let shown = progress.clone();
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || {
        let ssh = Ssh::connect(&target)?;
        ssh.upload(&bundle.bytes, BUNDLE_PATH)?;
        ssh.upload(script.as_bytes(), &plan_path())?;
        let output = ssh.run_script(
            "the provisioning plan",
            &plan_path(),
            timeout,
            &|| stop.is_cancelled(),
            &mut |line| shown.info(&format!("  | {line}")),
        )?;
        if output.success() {
            Ok(output)
        } else {
            Err(SshError::Remote {
                what: "the provisioning plan".into(),
                host: target.host.clone(),
                exit_code: output.exit_code,
                stderr: if output.stderr.trim().is_empty() {
                    output.stdout
                } else {
                    output.stderr
                },
            })
        }
    })
    .await
    .map_err(|e| {
        Error::Exec(Box::new(StepError::unexpected(format!(
            "the SSH worker: {e}"
        ))))
    })?;
    match outcome {
        Ok(_) => {
            progress.info(&format!(
                "provisioned {} in {:.1} s: {} enabled, /health answers",
                args.ssh.host,
                started.elapsed().as_secs_f64(),
                plan.unit
            ));
            Ok(0)
        }
        Err(SshError::Interrupted) => Err(Error::Interrupted {
            signal: signals.received().unwrap_or("a signal"),
            step: "provision",
            cleanup: Vec::new(),
        }),
        Err(error) => Err(Error::Exec(Box::new(StepError::unexpected(format!(
            "provisioning {} over SSH: {error}",
            args.ssh.host
        ))))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn parses_the_ssh_flags() {
        let cli = crate::cli::Cli::try_parse_from([
            "baker",
            "provision",
            "--host",
            "10.0.0.2",
            "--key-file",
            "/k",
            "--known-hosts",
            "/kh",
            "--commit",
            "abc",
            "--build-number",
            "7",
        ])
        .expect("parses");
        let crate::cli::Command::Provision(args) = cli.command else {
            panic!("not provision");
        };
        let target = args.ssh.target().expect("a target");
        assert_eq!(target.port, 22);
        assert_eq!(target.user, "root");
        assert_eq!(target.host_key, HostKeyCheck::KnownHosts("/kh".into()));
        assert_eq!(args.commit.as_deref(), Some("abc"));
    }

    #[test]
    fn a_fingerprint_and_a_known_hosts_file_exclude_each_other() {
        let parsed = crate::cli::Cli::try_parse_from([
            "baker",
            "provision",
            "--host",
            "h",
            "--known-hosts",
            "/kh",
            "--host-key-fingerprint",
            "SHA256:x",
        ]);
        assert!(parsed.is_err());
    }
}
