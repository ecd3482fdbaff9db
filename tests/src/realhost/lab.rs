//! The lab: one run's temporary directory, client namespace and SSH key, the
//! machines booted in it, and the ways the test looks at them (ssh, HTTP
//! over the veth, `systemd-analyze security`). Dropping it removes all of it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{RealHostError, Result};
use super::host::{command, preflight, run, run_any};
use super::machine::Machine;
use super::net::{Link, Namespace};
use super::sweep::{self, DIR_PREFIX};
use crate::process::Output;

const SSH_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(200);

/// An answer from the app.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub body: String,
}

pub struct Lab {
    tag: String,
    next_index: u8,
    client: Namespace,
    key: PathBuf,
    public_key: String,
    known_hosts: PathBuf,
    // Last: removed after the machines (owned by the caller) and the namespace.
    dir: tempfile::TempDir,
}

impl Lab {
    /// Checks the prerequisites, then makes the temporary directory, the
    /// client namespace and an ed25519 key for root on the machines.
    pub fn new() -> Result<Lab> {
        preflight()?;
        for removed in sweep::stale() {
            println!("removed what a killed run left: {removed}");
        }
        let pid = std::process::id();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{pid}-"))
            .tempdir()
            .map_err(|e| RealHostError::io("creating the lab directory", e))?;
        // Namespace and interface names carry the PID (at most 7 digits, so
        // `rr<pid>h<index>` stays within the 15 characters of an interface name).
        let tag = format!("rr{pid}");
        let key = dir.path().join("id_ed25519");
        run(
            "generating the test's SSH key",
            command(
                "ssh-keygen",
                [
                    "-q".as_ref(),
                    "-t".as_ref(),
                    "ed25519".as_ref(),
                    "-N".as_ref(),
                    "".as_ref(),
                    "-C".as_ref(),
                    "roundrobin-realhost".as_ref(),
                    "-f".as_ref(),
                    key.as_os_str(),
                ],
            ),
            Duration::from_secs(30),
        )?;
        let public_key = fs::read_to_string(key.with_extension("pub"))
            .map_err(|e| RealHostError::io("reading the test's public key", e))?;
        let client = Namespace::create(&format!("{tag}c"))?;
        let known_hosts = dir.path().join("known_hosts");
        fs::write(&known_hosts, "").map_err(|e| RealHostError::io("creating known_hosts", e))?;
        Ok(Lab {
            tag,
            next_index: 0,
            client,
            key,
            public_key,
            known_hosts,
            dir,
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where images are snapshotted to.
    pub fn images(&self) -> PathBuf {
        self.dir.path().join("images")
    }

    /// The namespace baker, ssh and curl run in.
    pub fn client(&self) -> &Namespace {
        &self.client
    }

    /// The private key authorized on every machine.
    pub fn key(&self) -> &Path {
        &self.key
    }

    /// The known_hosts file pinning every machine's host key.
    pub fn known_hosts(&self) -> &Path {
        &self.known_hosts
    }

    /// A machine named `name` (also its host name) on an overlay of `lower`,
    /// in a fresh namespace linked to the client namespace; not started.
    /// Its host key (read from `lower`) is pinned in [`Lab::known_hosts`].
    pub fn machine(&mut self, name: &str, lower: &Path) -> Result<Machine> {
        let index = self.next_index;
        self.next_index = self.next_index.checked_add(1).ok_or_else(|| {
            RealHostError::check("adding a machine", "at most 255 machines per lab")
        })?;
        let link = Link::create(&self.client, &self.tag, index)?;
        let host_key_path = lower.join("etc/ssh/ssh_host_ed25519_key.pub");
        let host_key = fs::read_to_string(&host_key_path).map_err(|e| {
            RealHostError::io(
                format!("reading the host key {}", host_key_path.display()),
                e,
            )
        })?;
        let mut fields = host_key.split_whitespace();
        let (Some(kind), Some(blob)) = (fields.next(), fields.next()) else {
            return Err(RealHostError::check(
                "reading the machine's host key",
                format!("{} is not an OpenSSH public key", host_key_path.display()),
            ));
        };
        let mut pinned = fs::read_to_string(&self.known_hosts).unwrap_or_default();
        pinned.push_str(&format!("{} {kind} {blob}\n", link.machine_addr));
        fs::write(&self.known_hosts, pinned)
            .map_err(|e| RealHostError::io("writing known_hosts", e))?;
        Machine::create(name, lower, self.dir.path(), link, &self.public_key)
    }

    /// Runs `script` as root on the machine over ssh (host key checked),
    /// whatever its exit code.
    pub fn ssh_any(&self, machine: &Machine, script: &str) -> Result<Output> {
        let target = format!("root@{}", machine.address());
        let known = format!("UserKnownHostsFile={}", self.known_hosts.display());
        let key = self.key.to_string_lossy().into_owned();
        let args = [
            "-i",
            key.as_str(),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            known.as_str(),
            "-o",
            "ConnectTimeout=5",
            "-o",
            "LogLevel=ERROR",
            target.as_str(),
            script,
        ];
        run_any(self.client.exec("ssh", args), SSH_TIMEOUT)
    }

    /// Like [`Lab::ssh_any`], but a non-zero exit is an error saying `what`.
    pub fn ssh(&self, machine: &Machine, what: &str, script: &str) -> Result<Output> {
        let output = self.ssh_any(machine, script)?;
        if output.success() {
            Ok(output)
        } else {
            Err(RealHostError::Command {
                what: format!("{what} (on {})", machine.name()),
                output: Box::new(output),
            })
        }
    }

    /// Waits until sshd on the machine lets the test in.
    pub fn wait_ssh(&self, machine: &mut Machine, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < timeout {
            if !machine.is_running() {
                return Err(RealHostError::check(
                    format!("booting {}", machine.name()),
                    format!("systemd-nspawn exited\n{}", machine.console_tail()),
                ));
            }
            match self.ssh_any(machine, "true") {
                Ok(output) if output.success() => return Ok(started.elapsed()),
                Ok(output) => last = output.stderr.trim().to_owned(),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(POLL);
        }
        Err(RealHostError::NotWithin {
            what: format!("ssh into {}", machine.name()),
            waited: timeout,
            last: format!("{last}\n{}", machine.console_tail()),
        })
    }

    /// GET `http://<machine>:<port><path>` from the client namespace.
    pub fn get(&self, machine: &Machine, port: u16, path: &str) -> Result<Page> {
        let url = format!("http://{}:{port}{path}", machine.address());
        let args = [
            "-sS",
            "--max-time",
            "3",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            url.as_str(),
        ];
        let output = run_any(self.client.exec("curl", args), Duration::from_secs(10))?;
        if !output.success() {
            return Err(RealHostError::check(
                format!("GET {url}"),
                output.stderr.trim().to_owned(),
            ));
        }
        let (body, status) = output
            .stdout
            .rsplit_once('\n')
            .unwrap_or(("", output.stdout.as_str()));
        let status = status.trim().parse().map_err(|_| {
            RealHostError::check(format!("GET {url}"), format!("no status in {status:?}"))
        })?;
        Ok(Page {
            status,
            body: body.to_owned(),
        })
    }

    /// Polls `path` until it answers 200 or `timeout` passes; returns the
    /// time it took and the page.
    pub fn wait_ok(
        &self,
        machine: &Machine,
        port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<(Duration, Page)> {
        let started = Instant::now();
        loop {
            let last = match self.get(machine, port, path) {
                Ok(page) if page.status == 200 => return Ok((started.elapsed(), page)),
                Ok(page) => format!("HTTP {}: {}", page.status, page.body.trim()),
                Err(e) => e.to_string(),
            };
            if started.elapsed() >= timeout {
                return Err(RealHostError::NotWithin {
                    what: format!("200 from http://{}:{port}{path}", machine.address()),
                    waited: timeout,
                    last,
                });
            }
            std::thread::sleep(POLL.min(timeout.saturating_sub(started.elapsed())));
        }
    }

    /// The unit's exposure score from `systemd-analyze security` on the machine.
    pub fn exposure(&self, machine: &Machine, unit: &str) -> Result<f64> {
        let output = self.ssh(
            machine,
            "systemd-analyze security",
            &format!("systemd-analyze security --no-pager {unit}"),
        )?;
        parse_exposure(&output.stdout).ok_or_else(|| {
            RealHostError::check(
                "reading systemd-analyze security",
                format!("no overall exposure level in:\n{}", output.stdout),
            )
        })
    }
}

/// The number in `→ Overall exposure level for x.service: 1.3 OK :-)`.
pub fn parse_exposure(text: &str) -> Option<f64> {
    let line = text
        .lines()
        .find(|line| line.contains("Overall exposure level"))?;
    let (_, rest) = line.rsplit_once(": ")?;
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_overall_exposure() {
        let text = "✗ PrivateNetwork=  Service has access  0.5\n\n\
                    → Overall exposure level for nodeapp.service: 1.3 OK :-)\n";
        assert_eq!(parse_exposure(text), Some(1.3));
        assert_eq!(parse_exposure("nothing here"), None);
    }
}
