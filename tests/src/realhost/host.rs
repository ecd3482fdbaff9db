//! The machine the test runs on: what it must have (root, nspawn, debootstrap,
//! iproute2, ssh, curl, a cgroup layout nspawn understands), and running
//! commands on it with a deadline.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::error::{RealHostError, Result};
use crate::process::{Output, run_bounded};

/// Set to `skip` to skip the real-host test on purpose (it prints why).
pub const SKIP_ENV: &str = "ROUNDROBIN_REALHOST";

/// Programs the test runs, and the Debian package each comes from.
const TOOLS: &[(&str, &str)] = &[
    ("systemd-nspawn", "systemd-container"),
    ("debootstrap", "debootstrap"),
    ("ip", "iproute2"),
    ("ssh", "openssh-client"),
    ("ssh-keygen", "openssh-client"),
    ("curl", "curl"),
    ("mount", "mount"),
    ("cp", "coreutils"),
];

/// `Some(reason)` when the environment asks to skip the real-host test.
pub fn skip_requested() -> Option<String> {
    match std::env::var(SKIP_ENV) {
        Ok(value) if value.trim().eq_ignore_ascii_case("skip") => Some(format!(
            "{SKIP_ENV}=skip is set: the real-host test (nspawn machine, ssh provisioning, \
             local image) is NOT run, so nothing about the bake on a real host was proven"
        )),
        _ => None,
    }
}

/// Everything the real-host test needs that this machine lacks, as one error
/// that names each missing piece and how to get it.
pub fn preflight() -> Result<()> {
    let mut missing = Vec::new();
    if !rustix::process::geteuid().is_root() {
        missing.push(
            "root: the test mounts overlays, creates network namespaces and boots \
             systemd-nspawn machines (run it as root)"
                .to_owned(),
        );
    }
    for (tool, package) in TOOLS {
        if find_program(tool).is_none() {
            missing.push(format!(
                "`{tool}` is not on the PATH: apt-get install {package}"
            ));
        }
    }
    if cgroup_roots().is_empty() {
        missing.push(
            "a cgroup file system at /sys/fs/cgroup (v2, or v1 with the name=systemd hierarchy) \
             for systemd-nspawn"
                .to_owned(),
        );
    }
    if !Path::new("/proc/self/ns/net").exists() {
        missing.push("network namespaces (/proc/self/ns/net)".to_owned());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(RealHostError::Missing(missing))
    }
}

/// The full path of `program` on the PATH (plus the sbin directories, which a
/// non-login root shell may lack).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The cgroup hierarchies a machine gets its own directory in: on a hybrid or
/// legacy host the `name=systemd` hierarchy (and the unified one beside it),
/// on a pure v2 host the root. systemd-nspawn with `--keep-unit` runs the
/// machine in the cgroup it was started in, so each machine needs its own.
pub fn cgroup_roots() -> Vec<PathBuf> {
    let base = Path::new("/sys/fs/cgroup");
    let legacy = base.join("systemd");
    if legacy.join("cgroup.procs").is_file() {
        let mut roots = vec![legacy];
        let unified = base.join("unified");
        if unified.join("cgroup.procs").is_file() {
            roots.push(unified);
        }
        roots
    } else if base.join("cgroup.controllers").is_file() {
        vec![base.to_path_buf()]
    } else {
        Vec::new()
    }
}

/// A command line ready to run: program and arguments.
pub fn command<I, S>(program: &str, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let resolved = find_program(program).unwrap_or_else(|| PathBuf::from(program));
    let mut command = Command::new(resolved);
    command.args(args);
    command
}

/// Runs `command` with a deadline and returns its output whatever its exit code.
pub fn run_any(command: Command, timeout: Duration) -> Result<Output> {
    let label = label(&command);
    Ok(run_bounded(command, label, timeout)?)
}

/// Runs `command` with a deadline; a non-zero exit is an error saying `what`
/// was being done, with everything the command printed.
pub fn run(what: &str, command: Command, timeout: Duration) -> Result<Output> {
    let output = run_any(command, timeout)?;
    if output.success() {
        Ok(output)
    } else {
        Err(RealHostError::Command {
            what: what.to_owned(),
            output: Box::new(output),
        })
    }
}

/// The command line as one string, for messages.
pub fn label(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last `lines` lines of a text file (empty when it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_programs_on_the_path_and_not_made_up_ones() {
        assert!(find_program("sh").is_some());
        assert!(find_program("surely-no-such-program-here").is_none());
    }

    #[test]
    fn labels_a_command_line() {
        let command = command("echo", ["a", "b c"]);
        assert!(label(&command).ends_with("echo a b c"));
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("log");
        std::fs::write(&file, "1\n2\n3\n").expect("write");
        assert_eq!(tail(&file, 2), "2\n3");
        assert_eq!(tail(&dir.path().join("none"), 2), "");
    }
}
