//! A project directory with a `baker.toml` that bakes the repository's app
//! and unit, and running `baker` in it against an emulator.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Emulator;

/// How long one `baker` run may take before the test gives up on it.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The commit every test bakes.
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

pub struct Project {
    pub dir: tempfile::TempDir,
    endpoint: String,
}

/// What a finished `baker` run printed, and how it exited.
#[derive(Debug, Clone)]
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The last line of stdout (the AMI id, for a build).
    pub fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default().trim()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "baker {} exited with {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Project {
    /// A project whose `baker.toml` holds the repository's app and unit,
    /// fast polling, and `extra` (more TOML tables).
    pub fn new(emulator: &Emulator, extra: &str) -> Project {
        Project::with_endpoint(&emulator.endpoint(), extra)
    }

    /// A project for commands that make no AWS call (`validate`).
    pub fn offline(extra: &str) -> Project {
        // Port 9 (discard): nothing listens, so a stray call fails fast.
        Project::with_endpoint("http://127.0.0.1:9", extra)
    }

    fn with_endpoint(endpoint: &str, extra: &str) -> Project {
        let dir = tempfile::Builder::new()
            .prefix("baker-project-")
            .tempdir()
            .expect("tempdir");
        let root = repo_root();
        let config = format!(
            "[app]\ndir = {app:?}\nunit = {unit:?}\n\n\
             [wait]\npoll_first_ms = 20\npoll_max_ms = 200\n\n\
             [aws]\nretry_initial_backoff_ms = 20\n\n{extra}\n",
            app = root.join("app").display().to_string(),
            unit = root.join("systemd/nodeapp.service").display().to_string(),
        );
        std::fs::write(dir.path().join("baker.toml"), config).expect("writing baker.toml");
        // Empty AWS config files: nothing from the machine's ~/.aws.
        for file in ["aws-config", "aws-credentials"] {
            std::fs::write(dir.path().join(file), "").expect("writing an empty AWS file");
        }
        Project {
            dir,
            endpoint: endpoint.to_string(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `baker ARGS` in the project, talking only to the emulator. GNU env
    /// execs baker with the signals a terminal or CI runner sends back at
    /// their default handling, whatever this test run inherited (a run
    /// started by `nohup` or as a background job ignores SIGINT and SIGHUP,
    /// and exec keeps that); baker's pid stays the child's.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("/usr/bin/env");
        command
            .args(["--default-signal=HUP,INT,QUIT,TERM,PIPE", "--"])
            .arg(env!("CARGO_BIN_EXE_baker"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", super::emulator::REGION)
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("CI", "true")
            .env("BAKER_COMMIT", COMMIT)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let child = self.command(args).spawn().expect("starting baker");
        finish(child, args)
    }

    /// `baker build --build-number N`.
    pub fn build(&self, build: u32) -> Run {
        self.run(&["build", "--build-number", &build.to_string()])
    }

    pub fn manifest(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.path().join("manifest.json"))
            .expect("manifest.json written");
        serde_json::from_str(&text).expect("manifest.json is JSON")
    }
}

/// Waits (bounded) for a started `baker` and collects its output.
pub fn finish(mut child: Child, args: &[&str]) -> Run {
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for baker") {
            break status;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "baker {} did not finish within {RUN_TIMEOUT:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}
