//! A private AWS emulator (moto server plus the extension in emulator)
//! on a free loopback port: the emulated AWS every story talks to. One per test, so tests run in parallel without seeing each other.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};

use crate::error::{HarnessError, Result};
use crate::http;
use crate::process::kill_group;

/// The region every story uses.
pub const REGION: &str = "us-east-1";
/// Static credentials moto accepts (it does not check them unless told to).
pub const ACCESS_KEY_ID: &str = "testing";
pub const SECRET_ACCESS_KEY: &str = "testing";

/// How long the server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Fresh ports to try when another process grabs ours between choosing and binding.
const START_ATTEMPTS: usize = 3;

/// Runs the emulator (moto's server with the extension in `emulator/`)
/// with the given arguments, after starting a thread that ends it when the
/// process that started it goes away (a test binary stopped with Ctrl-C
/// never runs its destructors).
const LAUNCHER: &str = r#"
import os, signal, sys, threading, time
parent = os.getppid()
def follow_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    # Stop as on SIGTERM (the live mode powers its machines off), then go.
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(60)
    os._exit(0)
threading.Thread(target=follow_parent, daemon=True).start()
sys.path.insert(0, sys.argv[1])
from emulator import server
sys.exit(server.main(sys.argv[2:]))
"#;

/// Where the `emulator` package is found: the repository's root.
fn emulator_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// How an emulator is started: extra arguments of `python3 -m emulator` and how long
/// it may take to answer.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    pub args: Vec<String>,
    pub ready_timeout: Duration,
    /// How long it may take to stop cleanly on SIGTERM before it is killed
    /// (the live backend powers its machines off).
    pub stop_grace: Duration,
}

/// Set to `1` to start every story's emulator in its realism mode (eventual
/// consistency, IAM propagation, AWS's instance refresh timing): `make test`
/// runs the story suite a second time that way.
pub const REALISM_ENV: &str = "E2E_EMULATOR_REALISM";

impl EmulatorOptions {
    /// The API-only emulator; `--realism` when [`REALISM_ENV`] is `1`.
    pub fn from_env() -> EmulatorOptions {
        let realism = std::env::var(REALISM_ENV).is_ok_and(|v| v == "1");
        EmulatorOptions {
            args: if realism {
                vec!["--realism".to_owned()]
            } else {
                Vec::new()
            },
            ready_timeout: START_TIMEOUT,
            stop_grace: Duration::ZERO,
        }
    }
}

/// A running moto server; stopped (with its process group) when dropped.
pub struct MotoServer {
    child: Child,
    port: u16,
    log: PathBuf,
    stop_grace: Duration,
    // Holds the log file; declared last so it is removed after the server is gone.
    _dir: tempfile::TempDir,
}

impl MotoServer {
    /// Starts a server on a free port of 127.0.0.1 and waits until it answers HTTP.
    pub fn start() -> Result<MotoServer> {
        MotoServer::start_with(&EmulatorOptions::from_env())
    }

    /// Starts a server with these options.
    pub fn start_with(options: &EmulatorOptions) -> Result<MotoServer> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let dir = tempfile::Builder::new()
            .prefix("e2e-moto-")
            .tempdir()
            .map_err(|e| HarnessError::io("creating a directory for moto's log", e))?;
        let mut last_error = None;
        for attempt in 0..START_ATTEMPTS {
            let log = dir.path().join(format!("moto-{attempt}.log"));
            match launch(&python, &log, options) {
                Ok((child, port)) => {
                    return Ok(MotoServer {
                        child,
                        port,
                        log,
                        stop_grace: options.stop_grace,
                        _dir: dir,
                    });
                }
                Err(error @ HarnessError::MotoExited { .. }) => last_error = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| HarnessError::MotoExited {
            port: 0,
            log: "(no attempt made)".to_owned(),
        }))
    }

    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where the server writes its request log.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log
    }

    /// Wipes everything the server holds (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<()> {
        let reply = http::request("POST", self.port, "/moto-api/reset", None)?;
        if reply.status == 200 {
            Ok(())
        } else {
            Err(HarnessError::Http {
                method: "POST",
                url: format!("{}/moto-api/reset", self.endpoint()),
                reason: format!("status {}: {}", reply.status, reply.body),
            })
        }
    }

    /// Everything the server holds (`GET /moto-api/data.json`), to count leftovers.
    pub fn state_json(&self) -> Result<serde_json::Value> {
        let reply = http::request("GET", self.port, "/moto-api/data.json", None)?;
        serde_json::from_str(&reply.body).map_err(|source| HarnessError::Json {
            what: "/moto-api/data.json".to_owned(),
            source,
        })
    }

    /// Sends a test control to the emulator (`/_emulator/...`), e.g.
    /// `control("POST", "unhealthy-images", json!({"image_id": id}))`.
    pub fn control(
        &self,
        method: &'static str,
        what: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value> {
        let path = format!("/_emulator/{what}");
        let reply = http::request_json(method, self.port, &path, &body)?;
        if !(200..300).contains(&reply.status) {
            return Err(HarnessError::Http {
                method,
                url: format!("{}{path}", self.endpoint()),
                reason: format!("status {}: {}", reply.status, reply.body),
            });
        }
        Ok(serde_json::from_str(&reply.body).unwrap_or(serde_json::Value::Null))
    }

    /// The SDK configuration for this server (region us-east-1, static test
    /// credentials, nothing read from the environment or ~/.aws).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "e2e");
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(credentials)
            .load()
            .await
    }

    /// An EC2 client that talks to this server only (region us-east-1, static
    /// test credentials, nothing read from the environment or ~/.aws).
    pub async fn ec2_client(&self) -> aws_sdk_ec2::Client {
        let credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "e2e");
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(credentials)
            .load()
            .await;
        aws_sdk_ec2::Client::new(&config)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        if !self.stop_grace.is_zero() {
            stop_gracefully(&mut self.child, self.stop_grace);
        }
        kill_group(&mut self.child);
    }
}

/// SIGTERM to the server alone (it cleans up what it made), then waits for
/// it to exit, at most `grace`.
fn stop_gracefully(child: &mut Child, grace: Duration) {
    let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) else {
        return;
    };
    if rustix::process::kill_process(pid, rustix::process::Signal::TERM).is_err() {
        return;
    }
    let started = Instant::now();
    while started.elapsed() < grace {
        if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
            return;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Spawns one server on a fresh port and waits for it; the child is killed on any error.
fn launch(python: &str, log: &std::path::Path, options: &EmulatorOptions) -> Result<(Child, u16)> {
    let port = free_port()?;
    let log_file = File::create(log).map_err(|e| HarnessError::io("creating moto's log", e))?;
    let log_file_too = log_file
        .try_clone()
        .map_err(|e| HarnessError::io("sharing moto's log", e))?;
    let mut child = Command::new(python)
        .arg("-c")
        .arg(LAUNCHER)
        .arg(emulator_dir())
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(&options.args)
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_file_too)
        .process_group(0)
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => HarnessError::MotoNotInstalled {
                python: python.to_owned(),
                detail: "the interpreter was not found".to_owned(),
            },
            _ => HarnessError::Spawn {
                program: python.to_owned(),
                source,
            },
        })?;
    match wait_until_ready(&mut child, port, python, log, options.ready_timeout) {
        Ok(()) => Ok((child, port)),
        Err(error) => {
            kill_group(&mut child);
            Err(error)
        }
    }
}

/// Polls until the server answers any HTTP request, it exits, or time runs out.
fn wait_until_ready(
    child: &mut Child,
    port: u16,
    python: &str,
    log: &std::path::Path,
    timeout: Duration,
) -> Result<()> {
    let started = Instant::now();
    loop {
        let exited = child
            .try_wait()
            .map_err(|e| HarnessError::io("waiting for moto server", e))?;
        if exited.is_some() {
            let log = log_tail(log);
            if log.contains("No module named") {
                return Err(HarnessError::MotoNotInstalled {
                    python: python.to_owned(),
                    detail: last_line(&log),
                });
            }
            return Err(HarnessError::MotoExited { port, log });
        }
        if http::request("GET", port, "/", Some(Duration::from_secs(1))).is_ok() {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(HarnessError::MotoNotReady {
                port,
                waited: timeout,
                log: log_tail(log),
            });
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// A port nothing listens on right now (the OS picks it).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| HarnessError::io("finding a free loopback port", e))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| HarnessError::io("finding a free loopback port", e))
}

fn log_tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn last_line(text: &str) -> String {
    text.lines().last().unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fresh_server_has_the_default_vpc() {
        let moto = MotoServer::start().expect("moto starts");
        let ec2 = moto.ec2_client().await;
        let vpcs = ec2.describe_vpcs().send().await.expect("DescribeVpcs");
        let default_vpcs: Vec<_> = vpcs
            .vpcs()
            .iter()
            .filter(|vpc| vpc.is_default() == Some(true))
            .collect();
        assert_eq!(default_vpcs.len(), 1, "{vpcs:?}");
    }

    #[tokio::test]
    async fn reset_wipes_what_was_created() {
        let moto = MotoServer::start().expect("moto starts");
        let ec2 = moto.ec2_client().await;
        ec2.create_security_group()
            .group_name("left-behind")
            .description("to be wiped")
            .send()
            .await
            .expect("CreateSecurityGroup");
        assert!(moto.state_json().expect("data.json").is_object());

        moto.reset().expect("reset");

        let groups = ec2
            .describe_security_groups()
            .send()
            .await
            .expect("DescribeSecurityGroups");
        assert!(
            groups
                .security_groups()
                .iter()
                .all(|group| group.group_name() != Some("left-behind"))
        );
    }

    #[test]
    fn servers_run_side_by_side_and_stop_when_dropped() {
        let first = MotoServer::start().expect("moto starts");
        let second = MotoServer::start().expect("moto starts");
        assert_ne!(first.port(), second.port());
        let port = first.port();
        drop(first);
        assert!(http::request("GET", port, "/", Some(Duration::from_secs(1))).is_err());
        assert!(http::request("GET", second.port(), "/", None).is_ok());
    }
}
