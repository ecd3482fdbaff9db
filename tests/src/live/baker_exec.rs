//! `baker exec` against the live emulator, as a user troubleshoots a fleet:
//! through SSM, whose commands the live mode runs inside the machines.

use std::time::Duration;

use anyhow::{Context, Result, ensure};

use super::cloud::LiveCloud;
use crate::demo::{profile_dir, repo_root};
use crate::moto::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use crate::process::{self, run_bounded};

/// How long one `baker exec` may take, delivery included.
const EXEC_TIMEOUT: Duration = Duration::from_secs(180);

/// `baker exec TARGET -- COMMAND` (TARGET: `--instance-id ID`, `--group
/// NAME` or `--tag KEY=VALUE`); its stdout, or an error with everything it
/// printed when it fails.
pub fn baker_exec(cloud: &LiveCloud, target: &[&str], command: &[&str]) -> Result<String> {
    let home = tempfile::Builder::new()
        .prefix("live-baker-exec-")
        .tempdir()
        .context("a directory for baker exec")?;
    for file in ["aws-config", "aws-credentials"] {
        std::fs::write(home.path().join(file), "")
            .with_context(|| format!("writing an empty {file}"))?;
    }
    let mut exec = process::command(profile_dir()?.join("baker"));
    exec.args(["exec", "--config"])
        .arg(repo_root().join("baker.toml"))
        .args(target)
        .args(["--timeout", "120", "--"])
        .args(command)
        .current_dir(home.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_ENDPOINT_URL", cloud.moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("aws-credentials"),
        );
    let output = run_bounded(exec, "baker exec".to_owned(), EXEC_TIMEOUT)?;
    ensure!(output.success(), "baker exec failed:\n{output}");
    Ok(output.stdout)
}
