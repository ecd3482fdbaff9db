//! One systemd-nspawn machine: an overlay over a read-only tree (the cached
//! rootfs or a baked image), booted with `systemd-nspawn -b` inside its own
//! network namespace and its own cgroup, powered off and unmounted on drop.
//!
//! Why these nspawn options: `--register=no --keep-unit` because the host's
//! PID 1 need not be systemd (no machined, no system bus to ask for a scope);
//! the machine then lives in the cgroup nspawn was started in, so each
//! machine is started in a cgroup of its own (which teardown also uses to
//! kill whatever is left if nspawn itself does not stop).

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use super::error::{RealHostError, Result};
use super::host::{cgroup_roots, command, find_program, run, tail};
use super::net::Link;
use super::sweep::{pids_below, remove_tree};

/// The parent cgroup of every machine the test starts.
pub const CGROUP_PARENT: &str = "roundrobin-realhost";
/// nspawn's exit code when the machine asked to reboot.
pub const REBOOT_EXIT: i32 = 133;
const POLL: Duration = Duration::from_millis(100);
const MOUNT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Machine {
    name: String,
    dir: PathBuf,
    merged: PathBuf,
    link: Link,
    cgroups: Vec<PathBuf>,
    child: Option<Child>,
    mounted: bool,
    boots: u32,
}

impl Machine {
    /// Mounts an overlay of `lower` under `parent/<name>` and authorizes
    /// `ssh_public_key` for root. The machine is not started yet.
    pub fn create(
        name: &str,
        lower: &Path,
        parent: &Path,
        link: Link,
        ssh_public_key: &str,
    ) -> Result<Machine> {
        let dir = parent.join(name);
        let merged = dir.join("root");
        for sub in ["upper", "work", "root"] {
            let path = dir.join(sub);
            fs::create_dir_all(&path)
                .map_err(|e| RealHostError::io(format!("creating {}", path.display()), e))?;
        }
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            dir.join("upper").display(),
            dir.join("work").display()
        );
        let mut machine = Machine {
            name: name.to_owned(),
            dir,
            merged,
            link,
            cgroups: Vec::new(),
            child: None,
            mounted: false,
            boots: 0,
        };
        run(
            &format!("mounting the overlay of machine {name}"),
            command(
                "mount",
                [
                    "-t".as_ref(),
                    "overlay".as_ref(),
                    "overlay".as_ref(),
                    "-o".as_ref(),
                    options.as_ref(),
                    machine.merged.as_os_str(),
                ],
            ),
            MOUNT_TIMEOUT,
        )?;
        machine.mounted = true;
        machine.authorize(ssh_public_key)?;
        Ok(machine)
    }

    fn authorize(&self, key: &str) -> Result<()> {
        let ssh_dir = self.merged.join("root/.ssh");
        let keys = ssh_dir.join("authorized_keys");
        let io =
            |e| RealHostError::io(format!("authorizing the test key in {}", keys.display()), e);
        fs::create_dir_all(&ssh_dir).map_err(io)?;
        set_mode(&ssh_dir, 0o700).map_err(io)?;
        fs::write(&keys, format!("{}\n", key.trim())).map_err(io)?;
        set_mode(&keys, 0o600).map_err(io)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The machine's tree as it sees it (the overlay's merged view).
    pub fn root(&self) -> &Path {
        &self.merged
    }

    pub fn address(&self) -> Ipv4Addr {
        self.link.machine_addr
    }

    /// How many times [`Machine::start`] booted it.
    pub fn boots(&self) -> u32 {
        self.boots
    }

    /// Boots the machine (`systemd-nspawn -b`); returns once nspawn runs.
    pub fn start(&mut self) -> Result<()> {
        if self.is_running() {
            return Ok(());
        }
        self.cgroups = self.make_cgroups()?;
        let nspawn = find_program("systemd-nspawn").ok_or_else(|| {
            RealHostError::Missing(vec![
                "systemd-nspawn (apt-get install systemd-container)".into(),
            ])
        })?;
        let log_path = self.console_log();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| RealHostError::io(format!("opening {}", log_path.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| RealHostError::io("duplicating the console log handle", e))?;
        let procs: Vec<String> = self
            .cgroups
            .iter()
            .map(|dir| dir.join("cgroup.procs").to_string_lossy().into_owned())
            .collect();
        // The shell moves itself into the machine's cgroups, then becomes nspawn.
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                r#"for p in $RR_CGROUP_PROCS; do echo $$ > "$p" || exit 97; done; exec "$@""#,
                "sh",
            ])
            .arg(nspawn)
            .args(["-b", "-D"])
            .arg(&self.merged)
            .args([
                format!("--machine={}", self.name),
                "--register=no".to_owned(),
                "--keep-unit".to_owned(),
                "--console=read-only".to_owned(),
                "--link-journal=no".to_owned(),
                format!(
                    "--network-namespace-path={}",
                    self.link.namespace.path().display()
                ),
            ])
            .env("RR_CGROUP_PROCS", procs.join(" "))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        let child = command.spawn().map_err(|e| {
            RealHostError::io(format!("starting systemd-nspawn for {}", self.name), e)
        })?;
        self.child = Some(child);
        self.boots += 1;
        Ok(())
    }

    /// True while nspawn runs.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(Ok(Some(_))) | Some(Err(_)) | None => false,
        }
    }

    /// Waits for nspawn to exit and returns its exit code (`None`: a signal
    /// ended it); an error when it still runs after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<Option<i32>> {
        let deadline = Instant::now() + timeout;
        let Some(child) = self.child.as_mut() else {
            return Ok(None);
        };
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    self.child = None;
                    return Ok(status.code());
                }
                Ok(None) if Instant::now() >= deadline => {
                    return Err(RealHostError::NotWithin {
                        what: format!("machine {} stopping", self.name),
                        waited: timeout,
                        last: self.console_tail(),
                    });
                }
                Ok(None) => thread::sleep(POLL),
                Err(e) => return Err(RealHostError::io("waiting for systemd-nspawn", e)),
            }
        }
    }

    /// Orderly shutdown: SIGTERM to nspawn makes the machine power off. When
    /// that takes longer than `timeout`, everything in the machine's cgroups
    /// is killed. The overlay stays mounted (see [`Machine::root`]).
    pub fn poweroff(&mut self, timeout: Duration) -> Result<()> {
        if let Some(child) = self.child.as_ref() {
            let _ = kill_process(Pid::from_child(child), Signal::TERM);
        }
        let result = self.wait_exit(timeout).map(|_| ());
        if result.is_err() {
            self.kill_all();
        }
        self.remove_cgroups();
        result
    }

    /// The last lines the machine printed on its console.
    pub fn console_tail(&self) -> String {
        format!(
            "console of {} ends with:\n{}",
            self.name,
            tail(&self.console_log(), 40)
        )
    }

    fn console_log(&self) -> PathBuf {
        self.dir.join("console.log")
    }

    fn make_cgroups(&self) -> Result<Vec<PathBuf>> {
        let roots = cgroup_roots();
        if roots.is_empty() {
            return Err(RealHostError::Missing(vec![
                "a cgroup file system at /sys/fs/cgroup".into(),
            ]));
        }
        let mut dirs = Vec::new();
        for root in roots {
            let leaf = format!("{}-{}", std::process::id(), self.name);
            let dir = root.join(CGROUP_PARENT).join(leaf);
            fs::create_dir_all(&dir)
                .map_err(|e| RealHostError::io(format!("creating cgroup {}", dir.display()), e))?;
            dirs.push(dir);
        }
        Ok(dirs)
    }

    /// SIGKILL to every process in the machine's cgroups (its PID 1 among
    /// them, which takes the whole PID namespace down), then to nspawn.
    fn kill_all(&mut self) {
        for dir in &self.cgroups {
            for pid in pids_below(dir) {
                if let Some(pid) = Pid::from_raw(pid) {
                    let _ = kill_process(pid, Signal::KILL);
                }
            }
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Removes the machine's cgroup directories, deepest first (nspawn and
    /// the machine's systemd leave `payload/…` and `supervisor` behind).
    fn remove_cgroups(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        for dir in std::mem::take(&mut self.cgroups) {
            while dir.exists() && Instant::now() < deadline {
                remove_tree(&dir);
                if dir.exists() {
                    thread::sleep(POLL);
                }
            }
            if let Some(parent) = dir.parent() {
                let _ = fs::remove_dir(parent);
            }
        }
    }

    fn unmount(&mut self) {
        if !self.mounted {
            return;
        }
        let target = self.merged.as_os_str();
        let plain = run("unmounting", command("umount", [target]), MOUNT_TIMEOUT);
        if plain.is_err() {
            let lazy = run(
                "unmounting lazily",
                command("umount", ["-l".as_ref(), target]),
                MOUNT_TIMEOUT,
            );
            if lazy.is_err() {
                return;
            }
        }
        self.mounted = false;
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.poweroff(Duration::from_secs(30));
        }
        self.kill_all();
        self.remove_cgroups();
        self.unmount();
        // Never walk a tree that is still mounted: it would be the image's.
        if !self.mounted {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}
