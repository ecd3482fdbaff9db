//! `baker build` as a user runs it: the built binary, the repository's
//! `baker.toml`, a commit and a build number; here with the AWS endpoint set
//! to the emulator and nothing read from the machine's AWS configuration.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};

use super::report::strip_timestamp;
use super::{profile_dir, repo_root};
use crate::moto::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use crate::process::{self, run_bounded};

/// The longest one bake may take (against the emulator it takes about a second).
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(120);

/// What one successful `baker build --output json` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baked {
    pub ami_id: String,
    pub name: String,
    pub commit: String,
    pub build: String,
    pub source_ami: String,
    /// baker's progress (stderr), one step a line, without timestamps.
    pub progress: Vec<String>,
}

/// Runs `baker build` for one app against one endpoint.
pub struct Baker {
    binary: PathBuf,
    config: PathBuf,
    commit: String,
    source_ami: String,
    endpoint: String,
    /// When the newest image was made: images are told apart by their
    /// creation time, which AWS gives to the second.
    last_image_at: Option<SystemTime>,
    /// The working directory: `manifest.json`, empty AWS config files, HOME.
    dir: tempfile::TempDir,
    /// The longest one build may take.
    timeout: Duration,
    /// `--set section.key=value` arguments for the next builds.
    settings: Vec<String>,
}

impl Baker {
    /// `target/debug/baker` (next to this executable) with the repository's
    /// `baker.toml` and `git rev-parse HEAD` as the commit.
    pub fn new(endpoint: &str, source_ami: &str) -> Result<Baker> {
        let binary = profile_dir()?.join("baker");
        ensure!(
            binary.is_file(),
            "baker is not built at {}; build it with `cargo build -p baker --bin baker`",
            binary.display()
        );
        let root = repo_root();
        Baker::with(
            binary,
            root.join("baker.toml"),
            head_commit(&root),
            endpoint,
            source_ami,
        )
    }

    /// Any baker binary, config file and commit.
    pub fn with(
        binary: PathBuf,
        config: PathBuf,
        commit: String,
        endpoint: &str,
        source_ami: &str,
    ) -> Result<Baker> {
        let dir = tempfile::Builder::new()
            .prefix("demo-baker-")
            .tempdir()
            .context("creating baker's working directory")?;
        // Empty files: nothing comes from the machine's ~/.aws.
        for file in ["aws-config", "aws-credentials"] {
            std::fs::write(dir.path().join(file), "")
                .with_context(|| format!("writing an empty {file}"))?;
        }
        Ok(Baker {
            binary,
            config,
            commit,
            source_ami: source_ami.to_owned(),
            endpoint: endpoint.to_owned(),
            last_image_at: None,
            dir,
            timeout: BUILD_TIMEOUT,
            settings: Vec::new(),
        })
    }

    /// Allows each build this long (real machines take longer than the API-only emulator).
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Overrides config keys of the next builds (`--set KEY=VALUE`, e.g. `app.dir=/tmp/app`).
    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.settings.retain(|s| !s.starts_with(&format!("{key}=")));
        self.settings.push(format!("{key}={value}"));
        self
    }

    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// Where baker appends its Packer-style manifest.
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.path().join("manifest.json")
    }

    /// The arguments of `baker build` for build number `build`.
    pub fn args(&self, build: u32) -> Vec<String> {
        [
            "build",
            "--config",
            &self.config.to_string_lossy(),
            "--source-ami",
            &self.source_ami,
            "--commit",
            &self.commit,
            "--build-number",
            &build.to_string(),
            "--manifest",
            &self.manifest_path().to_string_lossy(),
            "--output",
            "json",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain(
            self.settings
                .iter()
                .flat_map(|s| ["--set".to_owned(), s.clone()]),
        )
        .collect()
    }

    /// The command line as a user would type it in the repository.
    pub fn command_line(&self, build: u32) -> String {
        let root = repo_root();
        let shown = |path: &Path| match path.strip_prefix(&root) {
            Ok(relative) => relative.display().to_string(),
            Err(_) => path.display().to_string(),
        };
        let args: Vec<String> = self
            .args(build)
            .iter()
            .map(|arg| shown(Path::new(arg)))
            .collect();
        format!("{} {}", shown(&self.binary), args.join(" "))
    }

    /// Bakes build number `build`; an error carries baker's whole output.
    pub fn build(&mut self, build: u32) -> Result<Baked> {
        if let Some(last) = self.last_image_at {
            wait_for_next_second(last);
        }
        let mut command = process::command(&self.binary);
        let home = self.dir.path();
        command
            .args(self.args(build))
            .current_dir(home)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("CI", "true")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"));
        let output = run_bounded(command, format!("baker build #{build}"), self.timeout)?;
        if !output.success() {
            bail!("baker build failed:\n{output}");
        }
        self.last_image_at = Some(SystemTime::now());
        let json = output
            .stdout
            .lines()
            .rfind(|line| !line.trim().is_empty())
            .with_context(|| format!("baker printed nothing on stdout:\n{output}"))?;
        let mut baked = parse_report(json).with_context(|| format!("reading:\n{output}"))?;
        baked.progress = output
            .stderr
            .lines()
            .map(|line| strip_timestamp(line).to_owned())
            .collect();
        Ok(baked)
    }

    /// How many builds `manifest.json` records.
    pub fn manifest_builds(&self) -> Result<usize> {
        let path = self.manifest_path();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let manifest: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        Ok(manifest["builds"].as_array().map_or(0, Vec::len))
    }
}

/// The one JSON object `baker build --output json` prints.
pub fn parse_report(json: &str) -> Result<Baked> {
    let value: serde_json::Value =
        serde_json::from_str(json).context("baker's --output json is not JSON")?;
    let field = |name: &str| -> Result<String> {
        match &value[name] {
            serde_json::Value::String(text) => Ok(text.clone()),
            serde_json::Value::Number(number) => Ok(number.to_string()),
            _ => bail!("baker's report has no {name}: {value}"),
        }
    };
    let ami_id = field("ami_id")?;
    ensure!(ami_id.starts_with("ami-"), "not an AMI id: {ami_id}");
    Ok(Baked {
        ami_id,
        name: field("name")?,
        commit: field("commit")?,
        build: field("build")?,
        source_ami: field("source_ami").unwrap_or_default(),
        progress: Vec::new(),
    })
}

/// `git rev-parse HEAD` in `repo`, or `unknown` outside a git checkout.
pub fn head_commit(repo: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|commit| !commit.is_empty() && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Sleeps until the wall clock is past the second `since` falls in, so that
/// the next image is newer than the last one to the second.
fn wait_for_next_second(since: SystemTime) {
    let seconds = |time: SystemTime| time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let next = Duration::from_secs(seconds(since).as_secs() + 1);
    let now = seconds(SystemTime::now());
    if let Some(left) = next.checked_sub(now) {
        std::thread::sleep(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_report_is_read() {
        let baked = parse_report(
            r#"{"ami_id":"ami-0abc","name":"nodeapp-2-33b3bbf","commit":"33b3bbf0","build":"2","source_ami":"ami-1","snapshots":[]}"#,
        )
        .expect("a report");
        assert_eq!(baked.ami_id, "ami-0abc");
        assert_eq!(baked.name, "nodeapp-2-33b3bbf");
        assert_eq!(baked.build, "2");
        assert_eq!(baked.source_ami, "ami-1");
        assert!(parse_report(r#"{"ami_id":""}"#).is_err());
        assert!(parse_report("ami-0abc").is_err());
    }

    #[test]
    fn the_commit_is_head_or_unknown() {
        let commit = head_commit(&repo_root());
        assert!(
            commit == "unknown" || commit.len() >= 40,
            "unexpected commit {commit}"
        );
        let outside = tempfile::tempdir().expect("tempdir");
        assert_eq!(head_commit(outside.path()), "unknown");
    }

    #[test]
    fn the_command_line_names_the_flags_a_user_would_type() {
        let root = repo_root();
        let baker = Baker::with(
            root.join("target/debug/baker"),
            root.join("baker.toml"),
            "0123456789abcdef0123456789abcdef01234567".to_owned(),
            "http://127.0.0.1:9",
            "ami-1",
        )
        .expect("baker");
        let line = baker.command_line(3);
        assert!(
            line.starts_with("target/debug/baker build --config baker.toml --source-ami ami-1"),
            "{line}"
        );
        assert!(line.contains("--build-number 3"), "{line}");
        assert!(line.contains("--output json"), "{line}");
    }

    #[test]
    fn waiting_for_the_next_second_ends_in_it() {
        let since = SystemTime::now();
        wait_for_next_second(since);
        let whole = |time: SystemTime| {
            time.duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs()
        };
        assert!(whole(SystemTime::now()) > whole(since));
    }
}
