//! The systemd unit baker installs: a `.service` with `[Service]`,
//! `ExecStart=` and the environment file baker writes; `systemd-analyze
//! verify` where installed.

use std::path::Path;
use std::process::Command;

/// Problems with the unit file: missing, not a `.service`, without
/// `ExecStart`, reading another environment file than the one baker writes,
/// or rejected by `systemd-analyze verify` (where it is installed).
pub fn check_unit(path: &Path, app: &str) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return vec![format!("{}: {e}", path.display())],
    };
    let mut problems = Vec::new();
    if path.extension().and_then(|e| e.to_str()) != Some("service") {
        problems.push(format!("{} is not a .service unit", path.display()));
    }
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    if !lines.contains(&"[Service]") {
        problems.push(format!("{} has no [Service] section", path.display()));
    }
    if !lines.iter().any(|l| l.starts_with("ExecStart=")) {
        problems.push(format!("{} has no ExecStart=", path.display()));
    }
    let env_file = crate::provision::env_file(app);
    let reads_env = lines.iter().any(|l| {
        l.strip_prefix("EnvironmentFile=")
            .is_some_and(|v| v.trim_start_matches('-') == env_file)
    });
    if !reads_env {
        problems.push(format!(
            "{} does not read EnvironmentFile={env_file}, where baker writes APP_COMMIT, APP_BUILD and APP_PORT",
            path.display()
        ));
    }
    problems.extend(systemd_verify(path));
    problems
}

/// What `systemd-analyze verify` says about the unit's syntax; nothing when
/// it is not installed. Missing executables are not reported: they are
/// installed on the builder, not here.
fn systemd_verify(path: &Path) -> Vec<String> {
    let Ok(output) = Command::new("systemd-analyze")
        .arg("verify")
        .arg(path)
        .output()
    else {
        return Vec::new();
    };
    if output.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.contains("is not executable") && !l.contains("No such file or directory"))
        .filter(|l| {
            [
                "Unknown",
                "Failed to parse",
                "Invalid",
                "Missing",
                "lacks",
                "bad",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .map(|l| format!("systemd-analyze verify: {l}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_without_the_env_file_is_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let unit = dir.path().join("nodeapp.service");
        std::fs::write(&unit, "[Service]\nExecStart=/usr/bin/node x\n").expect("unit");
        let problems = check_unit(&unit, "nodeapp");
        assert!(
            problems.iter().any(|p| p.contains("/etc/nodeapp/app.env")),
            "{problems:?}"
        );
    }
}
