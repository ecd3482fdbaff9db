//! What a killed run left behind (SIGKILL or Ctrl-C skip every drop):
//! machines still running in their cgroups, overlays still mounted, network
//! namespaces. Every such thing carries the PID of the run that made it; a
//! new lab removes those whose run is gone before it starts.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process};

use super::host::{cgroup_roots, command, run, run_any};
use super::machine::CGROUP_PARENT;

/// The prefix of every lab directory: `roundrobin-realhost-<pid>-`.
pub const DIR_PREFIX: &str = "roundrobin-realhost-";
const TIMEOUT: Duration = Duration::from_secs(30);

/// Removes what runs that no longer exist left behind; returns what it did.
pub fn stale() -> Vec<String> {
    let mut done = Vec::new();
    sweep_cgroups(&mut done);
    sweep_mounts(&mut done);
    sweep_namespaces(&mut done);
    done
}

fn gone(pid: u32) -> bool {
    pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// `<pid>-<name>` → pid.
fn leading_pid(name: &str) -> Option<u32> {
    name.split('-').next()?.parse().ok()
}

/// `rr<pid>c` / `rr<pid>m<index>` → pid.
pub fn namespace_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("rr")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let tail = &rest[digits.len()..];
    let valid = tail == "c"
        || tail
            .strip_prefix('m')
            .is_some_and(|i| i.parse::<u8>().is_ok());
    if valid { digits.parse().ok() } else { None }
}

fn sweep_cgroups(done: &mut Vec<String>) {
    for root in cgroup_roots() {
        let parent = root.join(CGROUP_PARENT);
        let Ok(entries) = fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !leading_pid(&name).is_some_and(gone) {
                continue;
            }
            let dir = entry.path();
            for pid in pids_below(&dir) {
                if let Some(pid) = Pid::from_raw(pid) {
                    let _ = kill_process(pid, Signal::KILL);
                }
            }
            std::thread::sleep(Duration::from_millis(200));
            remove_tree(&dir);
            done.push(format!("machine cgroup {}", dir.display()));
        }
        let _ = fs::remove_dir(&parent);
    }
}

fn sweep_mounts(done: &mut Vec<String>) {
    let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let temp = std::env::temp_dir();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for line in mounts.lines() {
        let Some(target) = line.split_whitespace().nth(1) else {
            continue;
        };
        let target = PathBuf::from(target.replace("\\040", " "));
        let Some(lab) = lab_dir_of(&target, &temp) else {
            continue;
        };
        let _ = run(
            "unmounting a stale overlay",
            command("umount", ["-l".as_ref(), target.as_os_str()]),
            TIMEOUT,
        );
        done.push(format!("overlay {}", target.display()));
        if !dirs.contains(&lab) {
            dirs.push(lab);
        }
    }
    if let Ok(entries) = fs::read_dir(&temp) {
        for entry in entries.flatten() {
            let path = entry.path();
            if lab_dir_of(&path.join("x"), &temp).is_some() && !dirs.contains(&path) {
                dirs.push(path);
            }
        }
    }
    for dir in dirs {
        if fs::remove_dir_all(&dir).is_ok() {
            done.push(format!("lab directory {}", dir.display()));
        }
    }
}

/// The lab directory (of a run that is gone) that `path` lies in.
fn lab_dir_of(path: &Path, temp: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(temp).ok()?;
    let first = relative
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let pid = leading_pid(first.strip_prefix(DIR_PREFIX)?)?;
    gone(pid).then(|| temp.join(first))
}

fn sweep_namespaces(done: &mut Vec<String>) {
    let Ok(listed) = run_any(command("ip", ["netns", "list"]), TIMEOUT) else {
        return;
    };
    for line in listed.stdout.lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        if namespace_pid(name).is_some_and(gone) {
            let _ = run(
                "deleting a stale namespace",
                command("ip", ["netns", "delete", name]),
                TIMEOUT,
            );
            done.push(format!("network namespace {name}"));
        }
    }
}

/// Every PID in a cgroup directory and below it.
pub fn pids_below(dir: &Path) -> Vec<i32> {
    let mut pids: Vec<i32> = fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            pids.extend(pids_below(&entry.path()));
        }
    }
    pids
}

/// Removes a cgroup directory tree, deepest first.
pub fn remove_tree(dir: &Path) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_tree(&entry.path());
        }
    }
    let _ = fs::remove_dir(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_names_carry_the_pid() {
        assert_eq!(namespace_pid("rr1234c"), Some(1234));
        assert_eq!(namespace_pid("rr1234m0"), Some(1234));
        assert_eq!(namespace_pid("rr1234m12"), Some(1234));
        assert_eq!(namespace_pid("rr1234x"), None);
        assert_eq!(namespace_pid("other"), None);
        assert_eq!(namespace_pid("rrc"), None);
    }

    #[test]
    fn only_directories_of_dead_runs_are_stale() {
        let temp = Path::new("/tmp");
        let alive = format!("{DIR_PREFIX}{}-abc", std::process::id());
        assert_eq!(
            lab_dir_of(&temp.join(&alive).join("rr-web/root"), temp),
            None
        );
        // PID 4194305 is above the kernel's maximum: never a live process.
        let dead = format!("{DIR_PREFIX}4194305-abc");
        assert_eq!(
            lab_dir_of(&temp.join(&dead).join("rr-web/root"), temp),
            Some(temp.join(&dead))
        );
        assert_eq!(lab_dir_of(Path::new("/var/x"), temp), None);
    }
}
