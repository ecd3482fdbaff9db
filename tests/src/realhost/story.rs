//! The steps of the real-host story, shared by the test and the benchmark:
//! boot a machine, provision it with `baker provision` (the ssh
//! communicator, the same plan SSM runs), and check what a user would see.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{RealHostError, Result};
use super::host::{command, run, run_any};
use super::image::Bake;
use super::lab::{Lab, Page};
use super::machine::{Machine, REBOOT_EXIT};
use crate::process::Output;

/// The app as `baker.toml` at the repository root configures it.
pub const APP: &str = "nodeapp";
pub const UNIT: &str = "nodeapp.service";
pub const PORT: u16 = 8080;
/// The bound for the page to be back after `kill -9` of node.
pub const RESTART_BOUND: Duration = Duration::from_secs(5);
/// The target for `systemd-analyze security`.
pub const EXPOSURE_TARGET: f64 = 3.5;
/// Overrides the baker binary the story runs.
pub const BAKER_ENV: &str = "ROUNDROBIN_BAKER";

pub const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const PROVISION_TIMEOUT: Duration = Duration::from_secs(600);
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

/// The repository root (baker.toml, app/, systemd/).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `$ROUNDROBIN_BAKER`, or `baker` beside this executable's cargo profile
/// directory (built by `cargo build -p baker`, which `make test` does first).
pub fn baker_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(BAKER_ENV) {
        return Ok(PathBuf::from(path));
    }
    let exe =
        std::env::current_exe().map_err(|e| RealHostError::io("finding the test executable", e))?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.pop();
    }
    let baker = dir.join("baker");
    if baker.is_file() {
        Ok(baker)
    } else {
        Err(RealHostError::Missing(vec![format!(
            "the baker binary at {} (build it with `cargo build -p baker`, \
             or set {BAKER_ENV} to its path)",
            baker.display()
        )]))
    }
}

/// Boots `machine` and waits until ssh lets the test in; returns the time
/// from start to ssh.
pub fn boot(lab: &Lab, machine: &mut Machine) -> Result<Duration> {
    let started = Instant::now();
    machine.start()?;
    lab.wait_ssh(machine, BOOT_TIMEOUT)?;
    Ok(started.elapsed())
}

/// How `baker provision` is told to check the machine's host key.
#[derive(Debug, Clone)]
pub enum HostKey {
    KnownHosts(PathBuf),
    /// `SHA256:...`
    Fingerprint(String),
}

/// `baker provision` of the machine over ssh, run in the client namespace;
/// returns what baker printed and how long it took, whatever the exit code.
pub fn provision_any(
    lab: &Lab,
    machine: &Machine,
    bake: &Bake,
    host_key: &HostKey,
) -> Result<(Output, Duration)> {
    let baker = baker_binary()?;
    let config = repo_root().join("baker.toml");
    let address = machine.address().to_string();
    let (key_flag, key_value) = match host_key {
        HostKey::KnownHosts(path) => ("--known-hosts", path.as_os_str().to_owned()),
        HostKey::Fingerprint(fingerprint) => ("--host-key-fingerprint", fingerprint.into()),
    };
    let mut args: Vec<std::ffi::OsString> = vec!["provision".into()];
    for (flag, value) in [
        ("--config", config.as_os_str()),
        ("--host", address.as_ref()),
        ("--user", "root".as_ref()),
        ("--key-file", lab.key().as_os_str()),
        (key_flag, key_value.as_os_str()),
        ("--commit", bake.commit.as_ref()),
        ("--build-number", bake.build.as_ref()),
    ] {
        args.push(flag.into());
        args.push(value.to_owned());
    }
    let mut command = lab.client().exec(&baker.to_string_lossy(), args.iter());
    // Not a CI build: the flags above are the only source of commit and build.
    for var in [
        "TRAVIS_COMMIT",
        "TRAVIS_BUILD_NUMBER",
        "GITHUB_SHA",
        "GITHUB_RUN_NUMBER",
    ] {
        command.env_remove(var);
    }
    let started = Instant::now();
    let output = run_any(command, PROVISION_TIMEOUT)?;
    Ok((output, started.elapsed()))
}

/// [`provision_any`] that must succeed.
pub fn provision(
    lab: &Lab,
    machine: &Machine,
    bake: &Bake,
    host_key: &HostKey,
) -> Result<(Output, Duration)> {
    let (output, took) = provision_any(lab, machine, bake, host_key)?;
    if output.success() {
        Ok((output, took))
    } else {
        Err(RealHostError::Command {
            what: format!("baker provision --host {}", machine.address()),
            output: Box::new(output),
        })
    }
}

/// The SHA256 fingerprint of the ed25519 host key in the tree `root`.
pub fn host_fingerprint(root: &Path) -> Result<String> {
    let key = root.join("etc/ssh/ssh_host_ed25519_key.pub");
    let output = run(
        "fingerprinting the machine's host key",
        command(
            "ssh-keygen",
            ["-l".as_ref(), "-f".as_ref(), key.as_os_str()],
        ),
        Duration::from_secs(30),
    )?;
    output
        .stdout
        .split_whitespace()
        .find(|field| field.starts_with("SHA256:"))
        .map(str::to_owned)
        .ok_or_else(|| RealHostError::check("fingerprinting the host key", output.stdout.clone()))
}

/// The page names `host`, the baked commit and build.
pub fn check_page(page: &Page, host: &str, bake: &Bake) -> Result<()> {
    let expected = [
        format!("Hi there! I'm being served from {host}<"),
        format!("AMI built from commit {}<", bake.commit),
        format!("Build number {}<", bake.build),
    ];
    for line in &expected {
        if !page.body.contains(line.as_str()) {
            return Err(RealHostError::check(
                format!("the page of {host}"),
                format!(
                    "expected {:?} in:\n{}",
                    line.trim_end_matches('<'),
                    page.body
                ),
            ));
        }
    }
    Ok(())
}

/// The unit is active now and enabled for the next boot.
pub fn check_service(lab: &Lab, machine: &Machine) -> Result<()> {
    let output = lab.ssh_any(
        machine,
        &format!("systemctl is-active {UNIT}; systemctl is-enabled {UNIT}"),
    )?;
    let states: Vec<&str> = output.stdout.split_whitespace().collect();
    if states == ["active", "enabled"] {
        Ok(())
    } else {
        let status = lab
            .ssh_any(
                machine,
                &format!(
                    "systemctl status --no-pager {UNIT}; journalctl -u {UNIT} --no-pager -n 30"
                ),
            )
            .map(|o| o.stdout)
            .unwrap_or_default();
        Err(RealHostError::check(
            format!("{UNIT} on {}", machine.name()),
            format!("expected active and enabled, got {states:?}\n{status}"),
        ))
    }
}

/// The unit's main PID (0 when it has none).
pub fn main_pid(lab: &Lab, machine: &Machine) -> Result<u32> {
    let output = lab.ssh(
        machine,
        "reading the unit's main PID",
        &format!("systemctl show --property MainPID --value {UNIT}"),
    )?;
    output.stdout.trim().parse().map_err(|_| {
        RealHostError::check("reading MainPID", format!("not a PID: {:?}", output.stdout))
    })
}

/// `kill -9` of node; systemd restarts it and `/` answers 200 again within
/// [`RESTART_BOUND`]. Returns how long the page was gone (as polled).
pub fn kill_and_recover(lab: &Lab, machine: &Machine) -> Result<Duration> {
    let before = main_pid(lab, machine)?;
    if before == 0 {
        return Err(RealHostError::check(
            "kill -9 of node",
            "the unit has no main PID",
        ));
    }
    lab.ssh(machine, "kill -9 of node", &format!("kill -9 {before}"))?;
    let (took, _) = lab.wait_ok(machine, PORT, "/", RESTART_BOUND)?;
    let after = main_pid(lab, machine)?;
    if after == before || after == 0 {
        return Err(RealHostError::check(
            "restart after kill -9",
            format!("main PID went from {before} to {after}: not a new process"),
        ));
    }
    Ok(took)
}

/// `systemctl reboot` inside the machine: nspawn exits with 133, the test
/// boots it again (as systemd-nspawn@.service would), and ssh is back.
pub fn reboot(lab: &Lab, machine: &mut Machine) -> Result<Duration> {
    // The connection may drop before ssh reports success: its exit code says nothing.
    let _ = lab.ssh_any(machine, "systemctl reboot");
    let code = machine.wait_exit(STOP_TIMEOUT)?;
    if code != Some(REBOOT_EXIT) {
        return Err(RealHostError::check(
            format!("rebooting {}", machine.name()),
            format!(
                "systemd-nspawn exited with {code:?}, not {REBOOT_EXIT} (reboot)\n{}",
                machine.console_tail()
            ),
        ));
    }
    boot(lab, machine)
}

/// Powers the machine off (orderly) so its tree can be snapshotted.
pub fn stop(machine: &mut Machine) -> Result<()> {
    machine.poweroff(STOP_TIMEOUT)
}

/// The machine cannot reach anything but its own /30: a route lookup for an
/// outside address (TEST-NET-1; no packet is sent) is refused.
pub fn check_outbound_blocked(lab: &Lab, machine: &Machine) -> Result<()> {
    let outside = Ipv4Addr::new(192, 0, 2, 1);
    let output = lab.ssh_any(machine, &format!("ip route get {outside} 2>&1"))?;
    let text = output.stdout.trim();
    if !output.success() && text.contains("unreachable") {
        Ok(())
    } else {
        Err(RealHostError::check(
            format!("outbound traffic from {}", machine.name()),
            format!("expected no route to {outside}, got: {text}"),
        ))
    }
}

/// Polls `/` from the moment `machine.start()` is called; returns the time
/// to the first 200 and the page.
pub fn boot_to_first_200(lab: &Lab, machine: &mut Machine) -> Result<(Duration, Page)> {
    let started = Instant::now();
    machine.start()?;
    let mut last = String::new();
    while started.elapsed() < BOOT_TIMEOUT {
        if !machine.is_running() {
            return Err(RealHostError::check(
                format!("booting {}", machine.name()),
                format!("systemd-nspawn exited\n{}", machine.console_tail()),
            ));
        }
        match lab.get(machine, PORT, "/") {
            Ok(page) if page.status == 200 => return Ok((started.elapsed(), page)),
            Ok(page) => last = format!("HTTP {}", page.status),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(POLL);
    }
    Err(RealHostError::NotWithin {
        what: format!("the first 200 from {}", machine.name()),
        waited: BOOT_TIMEOUT,
        last: format!("{last}\n{}", machine.console_tail()),
    })
}

/// What the story bakes: the repository's HEAD commit and the given build number.
pub fn test_bake(build: &str) -> Bake {
    let output = run(
        "reading the repository's commit",
        command(
            "git",
            ["-C", &repo_root().to_string_lossy(), "rev-parse", "HEAD"],
        ),
        Duration::from_secs(30),
    );
    // Outside a git checkout a fixed commit does as well: it only has to round-trip.
    let commit = output
        .map(|o| o.stdout.trim().to_owned())
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "0123456789abcdef0123456789abcdef01234567".to_owned());
    Bake {
        app: APP.to_owned(),
        commit,
        build: build.to_owned(),
    }
}
