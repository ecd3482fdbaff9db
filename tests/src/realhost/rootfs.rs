//! The base machine: a Debian bookworm rootfs made with `debootstrap
//! --variant=minbase`, cached between runs under a name derived from its
//! package list, so only the first run pays for the download.
//!
//! The cached tree is never booted directly: machines boot from an overlay
//! on top of it (see [`super::machine`]), so it stays pristine.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{RealHostError, Result};
use super::host::{command, run};

/// Overrides where cached rootfs trees live.
pub const CACHE_ENV: &str = "ROUNDROBIN_REALHOST_CACHE";
/// Overrides the Debian mirror debootstrap downloads from.
pub const MIRROR_ENV: &str = "ROUNDROBIN_REALHOST_MIRROR";
const DEFAULT_CACHE: &str = "/var/cache/roundrobin-realhost";
const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
const SUITE: &str = "bookworm";
const DEBOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Bumped whenever what [`prepare`] changes in the tree changes.
const LAYOUT: u32 = 2;

/// What goes into the base machine (the list).
pub const PACKAGES: &[&str] = &[
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "nodejs",
    "iproute2",
    "curl",
];

/// A rootfs tree ready to be the lower layer of a machine.
#[derive(Debug, Clone)]
pub struct Rootfs {
    pub path: PathBuf,
    /// The cache key: the same package list gives the same key.
    pub key: String,
    /// True when this call built it (false: it came from the cache).
    pub built: bool,
    pub took: Duration,
}

/// The cache key of a rootfs: suite, variant, sorted package list and mirror,
/// hashed (FNV-1a, 64 bits: stable across runs and Rust versions).
pub fn cache_key(packages: &[&str], mirror: &str) -> String {
    let mut sorted: Vec<&str> = packages.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let description = format!(
        "layout={LAYOUT};suite={SUITE};variant=minbase;mirror={mirror};packages={}",
        sorted.join(",")
    );
    format!("{SUITE}-minbase-{:016x}", fnv1a(description.as_bytes()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The directory holding cached trees.
pub fn cache_dir() -> PathBuf {
    std::env::var_os(CACHE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE))
}

/// The cached rootfs for [`PACKAGES`], made first when it is not there yet.
/// Building happens in a scratch directory that is renamed into place only
/// when complete, so an interrupted run never leaves a half tree under the key.
pub fn ensure() -> Result<Rootfs> {
    let started = Instant::now();
    let mirror = std::env::var(MIRROR_ENV).unwrap_or_else(|_| DEFAULT_MIRROR.to_owned());
    let key = cache_key(PACKAGES, &mirror);
    let dir = cache_dir();
    let path = dir.join(&key);
    if is_complete(&path) {
        return Ok(Rootfs {
            path,
            key,
            built: false,
            took: started.elapsed(),
        });
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| RealHostError::io(format!("creating the cache {}", dir.display()), e))?;
    let scratch = Scratch(dir.join(format!(".{key}.{}.partial", std::process::id())));
    scratch.remove();
    let mut debootstrap = command(
        "debootstrap",
        [
            "--variant=minbase".to_owned(),
            format!("--include={}", PACKAGES.join(",")),
            SUITE.to_owned(),
            scratch.0.to_string_lossy().into_owned(),
            mirror.clone(),
        ],
    );
    debootstrap.env("DEBIAN_FRONTEND", "noninteractive");
    run(
        &format!("debootstrap of Debian {SUITE} from {mirror} (is the mirror reachable?)"),
        debootstrap,
        DEBOOTSTRAP_TIMEOUT,
    )?;
    prepare(&scratch.0)?;
    match std::fs::rename(&scratch.0, &path) {
        Ok(()) => {}
        // Another run finished the same tree first: use theirs.
        Err(_) if is_complete(&path) => {}
        Err(e) => {
            return Err(RealHostError::io(
                format!("moving the new rootfs to {}", path.display()),
                e,
            ));
        }
    }
    Ok(Rootfs {
        path,
        key,
        built: true,
        took: started.elapsed(),
    })
}

/// Makes the tree behave like a cloud base image: no fixed host name (the
/// machine name becomes the host name), an empty machine id and no package
/// caches.
fn prepare(root: &Path) -> Result<()> {
    let hostname = root.join("etc/hostname");
    if hostname.exists() {
        std::fs::remove_file(&hostname)
            .map_err(|e| RealHostError::io("removing /etc/hostname from the rootfs", e))?;
    }
    // No machine id, as an official AMI: each machine makes its own at its
    // first boot (machine-id(5)); the D-Bus copy follows /etc/machine-id.
    std::fs::write(root.join("etc/machine-id"), "")
        .map_err(|e| RealHostError::io("emptying /etc/machine-id of the rootfs", e))?;
    match std::fs::remove_file(root.join("var/lib/dbus/machine-id")) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(RealHostError::io("removing /var/lib/dbus/machine-id", e)),
    }
    let archives = root.join("var/cache/apt/archives");
    if let Ok(entries) = std::fs::read_dir(&archives) {
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "deb") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    std::fs::write(
        root.join(".roundrobin-rootfs"),
        format!("layout {LAYOUT}\n"),
    )
    .map_err(|e| RealHostError::io("marking the rootfs complete", e))
}

fn is_complete(path: &Path) -> bool {
    path.join(".roundrobin-rootfs").is_file() && path.join("usr/lib/systemd/systemd").exists()
}

/// A directory removed when dropped (the scratch tree of a failed build).
struct Scratch(PathBuf);

impl Scratch {
    fn remove(&self) {
        if self.0.exists() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_depends_on_the_package_set_not_its_order() {
        let a = cache_key(&["curl", "systemd"], DEFAULT_MIRROR);
        let b = cache_key(&["systemd", "curl", "curl"], DEFAULT_MIRROR);
        let c = cache_key(&["systemd"], DEFAULT_MIRROR);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("bookworm-minbase-"));
        assert_eq!(a.len(), "bookworm-minbase-".len() + 16);
    }

    #[test]
    fn the_key_depends_on_the_mirror() {
        assert_ne!(
            cache_key(PACKAGES, DEFAULT_MIRROR),
            cache_key(PACKAGES, "http://mirror.example/debian")
        );
    }

    #[test]
    fn fnv1a_matches_its_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
