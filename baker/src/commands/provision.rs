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
use crate::config::{SshConfig, base_dir, ci, validate};
use crate::error::{Error, Problem, Problems, StepError};
use crate::progress::Progress;
use crate::provision::{BUNDLE_PATH, Plan, REMOTE_DIR};
use crate::signals::Signals;

/// How to reach the host (the ssh communicator). Each flag (or its
/// `BAKER_SSH_*` variable) overrides the `[ssh]` key of the same name in
/// `baker.toml`.
#[derive(Debug, Clone, Args)]
pub struct SshArgs {
    /// The host to provision, name or address (default: ssh.host).
    #[arg(long, env = "BAKER_SSH_HOST")]
    pub host: Option<String>,
    /// Its SSH port (default: ssh.port, 22).
    #[arg(long, env = "BAKER_SSH_PORT")]
    pub port: Option<u16>,
    /// The user to log in as: root, or one that may `sudo -n` (default: ssh.user, root).
    #[arg(long, env = "BAKER_SSH_USER")]
    pub user: Option<String>,
    /// The private key (default: ssh.key_file, else the keys of a running ssh-agent).
    #[arg(long, env = "BAKER_SSH_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// known_hosts file listing the host's key (default: ssh.known_hosts, else ~/.ssh/known_hosts).
    #[arg(long, env = "BAKER_SSH_KNOWN_HOSTS")]
    pub known_hosts: Option<PathBuf>,
    /// Pin the host key instead: SHA256:... as `ssh-keygen -lf` prints it (default: ssh.host_key_fingerprint).
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
    /// The flags as (key, value) pairs, applied over the file and the
    /// environment. Choosing one way of checking the host key clears the
    /// other, so a flag wins over the file's choice.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .filter(|p| !p.is_empty())
        };
        let text = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let mut out = Vec::new();
        if let Some(host) = text(&self.host) {
            out.push(("ssh.host", host));
        }
        if let Some(port) = self.port {
            out.push(("ssh.port", port.to_string()));
        }
        if let Some(user) = text(&self.user) {
            out.push(("ssh.user", user));
        }
        if let Some(key_file) = path(&self.key_file) {
            out.push(("ssh.key_file", key_file));
        }
        if let Some(fingerprint) = text(&self.host_key_fingerprint) {
            out.push(("ssh.known_hosts", String::new()));
            out.push(("ssh.host_key_fingerprint", fingerprint));
        } else if let Some(known_hosts) = path(&self.known_hosts) {
            out.push(("ssh.host_key_fingerprint", String::new()));
            out.push(("ssh.known_hosts", known_hosts));
        }
        out
    }

    /// Where to connect: `ssh` (the `[ssh]` section with these flags
    /// applied), with this command's connect timeout.
    pub fn target(&self, ssh: &SshConfig) -> Result<SshTarget, Problem> {
        let host_key = if !ssh.host_key_fingerprint.is_empty() {
            HostKeyCheck::Fingerprint(ssh.host_key_fingerprint.clone())
        } else if !ssh.known_hosts.as_os_str().is_empty() {
            HostKeyCheck::KnownHosts(ssh.known_hosts.clone())
        } else {
            match std::env::var_os("HOME") {
                Some(home) => {
                    HostKeyCheck::KnownHosts(PathBuf::from(home).join(".ssh/known_hosts"))
                }
                None => {
                    return Err(Problem::new(
                        "ssh.known_hosts",
                        "HOME is not set: pass --known-hosts or --host-key-fingerprint \
                         (or set ssh.known_hosts or ssh.host_key_fingerprint)",
                    ));
                }
            }
        };
        if ssh.host.trim().is_empty() {
            return Err(Problem::new(
                "ssh.host",
                "must name the host to provision: pass --host or set ssh.host",
            ));
        }
        Ok(SshTarget {
            host: ssh.host.trim().to_string(),
            port: ssh.port,
            user: ssh.user.clone(),
            key_file: Some(ssh.key_file.clone()).filter(|p| !p.as_os_str().is_empty()),
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
    let config = super::load_config(&args.config, &args.ssh.pairs(), true)?;
    let base = base_dir(&args.config.config);
    let env = |name: &str| std::env::var(name).ok();
    let detected = ci::detect(
        args.commit.as_deref(),
        args.build_number.as_deref(),
        &env,
        &base,
    );
    // The same check `build` and `validate` run, the commit and build
    // number included: they reach the script.
    let mut problems = validate::check(&config, &base, detected.as_ref().ok());
    let info = detected
        .map_err(|message| problems.push(Problem::new("commit", message)))
        .ok();
    let target = match args.ssh.target(&config.ssh) {
        Ok(target) => Some(target),
        Err(p) => {
            if !problems.iter().any(|q| q.field == p.field) {
                problems.push(p);
            }
            None
        }
    };
    let host = config.ssh.host.trim().to_string();
    let (Some(info), Some(target)) = (info, target) else {
        return Err(Error::Invalid(Problems(problems)));
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(Problems(problems)));
    }
    let unit = base.join(&config.app.unit);
    let bundle = bundle::pack(&base.join(&config.app.dir), &unit, &config.app.include)?;
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
                host,
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
            "provisioning {host} over SSH: {error}"
        ))))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use clap::Parser as _;

    fn parse(args: &[&str]) -> ProvisionArgs {
        let cli = crate::cli::Cli::try_parse_from(["baker", "provision"].iter().chain(args))
            .expect("parses");
        let crate::cli::Command::Provision(args) = cli.command else {
            panic!("not provision");
        };
        args
    }

    /// The `[ssh]` section of `file` with the flags applied over it.
    fn settle(file: &str, args: &ProvisionArgs) -> SshConfig {
        let mut config = Config::parse(file, std::path::Path::new("b.toml")).expect("parses");
        for (key, value) in args.ssh.pairs() {
            config.set(key, &value).expect("sets");
        }
        config.ssh
    }

    #[test]
    fn parses_the_ssh_flags() {
        let args = parse(&[
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
        ]);
        let target = args.ssh.target(&settle("", &args)).expect("a target");
        assert_eq!(target.host, "10.0.0.2");
        assert_eq!(target.port, 22);
        assert_eq!(target.user, "root");
        assert_eq!(target.key_file, Some(PathBuf::from("/k")));
        assert_eq!(target.host_key, HostKeyCheck::KnownHosts("/kh".into()));
        assert_eq!(args.commit.as_deref(), Some("abc"));
    }

    #[test]
    fn the_file_fills_what_the_flags_leave_out() {
        let file = "[ssh]\nhost = \"file-host\"\nport = 2222\nuser = \"ec2-user\"\nkey_file = \"/fk\"\nhost_key_fingerprint = \"SHA256:file\"\n";
        let args = parse(&[]);
        let target = args.ssh.target(&settle(file, &args)).expect("a target");
        assert_eq!(target.host, "file-host");
        assert_eq!(target.port, 2222);
        assert_eq!(target.user, "ec2-user");
        assert_eq!(target.key_file, Some(PathBuf::from("/fk")));
        assert_eq!(
            target.host_key,
            HostKeyCheck::Fingerprint("SHA256:file".into())
        );

        let args = parse(&[
            "--host",
            "flag-host",
            "--port",
            "2200",
            "--known-hosts",
            "/kh",
        ]);
        let ssh = settle(file, &args);
        assert_eq!(
            validate::check(
                &Config {
                    ssh: ssh.clone(),
                    ..Config::default()
                },
                std::path::Path::new("."),
                None
            )
            .iter()
            .filter(|p| p.field.starts_with("ssh."))
            .count(),
            0
        );
        let target = args.ssh.target(&ssh).expect("a target");
        assert_eq!(target.host, "flag-host");
        assert_eq!(target.port, 2200);
        assert_eq!(target.user, "ec2-user");
        assert_eq!(target.host_key, HostKeyCheck::KnownHosts("/kh".into()));
    }

    #[test]
    fn without_a_host_anywhere_the_problem_names_ssh_host() {
        let args = parse(&["--known-hosts", "/kh"]);
        let err = args.ssh.target(&settle("", &args)).expect_err("no host");
        assert_eq!(err.field, "ssh.host");
        assert!(err.message.contains("--host"), "{err}");
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
