//! One emulator server per test on a free loopback port, killed (with its
//! process group) when dropped, and gone with the test process even when
//! that is killed.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::config::Credentials;
use rustix::process::{Pid, Signal, kill_process_group};
use serde_json::{Value, json};

use super::http;

pub const REGION: &str = "us-east-1";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the emulator (`python3 -m emulator`), ending it when its parent goes away.
const LAUNCHER: &str = r#"
import os, runpy, sys, threading, time
parent = os.getppid()
def follow_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=follow_parent, daemon=True).start()
sys.path.insert(0, sys.argv[1])
sys.argv = ["emulator"] + sys.argv[2:]
runpy.run_module("emulator", run_name="__main__", alter_sys=True)
"#;

pub struct Emulator {
    child: Child,
    pub port: u16,
    /// Holds the server's log (stderr).
    _dir: tempfile::TempDir,
}

/// The repository's root, where Python finds the `emulator` package.
fn emulator_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Emulator {
    pub fn start() -> Emulator {
        let root = emulator_root();
        assert!(
            root.join("emulator/__main__.py").exists(),
            "the emulator is missing under {}",
            root.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("baker-emulator-")
            .tempdir()
            .expect("tempdir");
        let log = dir.path().join("emulator.log");
        let log_file = std::fs::File::create(&log).expect("emulator log");
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(python)
            .arg("-c")
            .arg(LAUNCHER)
            .arg(&root)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .expect("starting the emulator (python3 with moto installed)");
        let stdout = child.stdout.take().expect("emulator stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = kill_process_group(Pid::from_child(&child), Signal::KILL);
                let _ = child.wait();
                panic!(
                    "the emulator did not start:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let port = line
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the emulator: {line}"));
        Emulator {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A control call; panics unless it answers 2xx.
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, text) = http::request(method, self.port, path, body.as_ref());
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The next `times` calls of `service:action` fail with `code`.
    pub fn fault(&self, service: &str, action: &str, code: &str, http_status: u16, times: i64) {
        self.control(
            "POST",
            "/_emulator/faults",
            Some(json!({
                "service": service, "action": action, "error_code": code,
                "message": format!("injected {action} failure"), "http_status": http_status, "times": times,
            })),
        );
    }

    /// Commands containing `matching` end with this outcome.
    pub fn command_outcome(
        &self,
        matching: &str,
        status: &str,
        stdout: &str,
        stderr: &str,
        exit_code: i64,
    ) {
        self.control(
            "POST",
            "/_emulator/ssm/command-outcomes",
            Some(json!({"match": matching, "status": status, "stdout": stdout, "stderr": stderr, "exit_code": exit_code})),
        );
    }

    pub fn timing(&self, settings: Value) {
        self.control("POST", "/_emulator/timing", Some(settings));
    }

    /// API calls made so far, by `service:Action`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        let reply = self.control("GET", "/_emulator/calls", None);
        reply["calls"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits (bounded) until `service:Action` was called at least `times` times.
    pub fn wait_for_calls(&self, key: &str, times: u64) {
        let started = std::time::Instant::now();
        while self.calls().get(key).copied().unwrap_or(0) < times {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{key} was never called {times} time(s): {:#?}",
                self.calls()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wipes all state, faults and outcomes.
    pub fn reset(&self) {
        let (status, text) = http::request("POST", self.port, "/moto-api/reset", None);
        assert_eq!(status, 200, "reset: {text}");
    }

    /// The SDK configuration for this emulator (static test credentials).
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .load()
            .await
    }

    /// An S3 client for this emulator: path-style, as a custom endpoint has
    /// no per-bucket host names (what baker itself does).
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk().await)
                .force_path_style(true)
                .build(),
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = kill_process_group(Pid::from_child(&self.child), Signal::KILL);
        let _ = self.child.wait();
    }
}
