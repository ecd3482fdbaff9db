//! What the live emulator puts on the host, found by the names it gives
//! them: overlay mounts below its live directory, VPC bridges (`rrb` + the
//! VPC id's last 8 characters), veths (`rrh` + the instance id's last 12),
//! machine network namespaces (`rri-` + the instance id), machine cgroups
//! (`roundrobin-emulator/rri-…` in every cgroup hierarchy), HAProxy
//! processes whose configuration lies below its load balancer directory,
//! and its nftables table `inet roundrobin_emulator`.
//!
//! After `terraform destroy` none of the story's machines' parts may be
//! left (the table stays while the emulator runs: it is what confines the
//! machines); after the emulator stopped, nothing at all.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use super::cloud::LiveCloud;
use crate::demo::cloud::Cloud;

/// Where the live emulator keeps its HAProxy files (its `--lb-run-dir`).
pub const LB_DIR: &str = "/run/roundrobin-emulator/lb/";
/// Held by the live emulator that runs; one at a time per host.
pub const HOST_LOCK: &str = "/run/roundrobin-emulator-live.lock";
/// The emulator's packet filter table (family, name).
pub const FILTER_TABLE: (&str, &str) = ("inet", "roundrobin_emulator");

/// What to look for: the story's instances and VPCs, the emulator's live dir
/// and its HAProxy directory (`<LB_DIR>rr-<emulator pid>/`).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub live_dir: PathBuf,
    pub lb_run_dir: String,
    pub instance_ids: Vec<String>,
    pub vpc_ids: Vec<String>,
}

/// Everything of the live emulator's still on the host, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostLeftovers {
    pub overlay_mounts: Vec<String>,
    pub bridges: Vec<String>,
    pub veths: Vec<String>,
    pub namespaces: Vec<String>,
    pub cgroups: Vec<String>,
    pub haproxy: Vec<String>,
    pub filter_tables: Vec<String>,
}

impl HostLeftovers {
    fn kinds(&self) -> [(&'static str, &Vec<String>); 7] {
        [
            ("overlay mounts", &self.overlay_mounts),
            ("VPC bridges", &self.bridges),
            ("veths", &self.veths),
            ("network namespaces", &self.namespaces),
            ("machine cgroups", &self.cgroups),
            ("HAProxy processes", &self.haproxy),
            ("filter tables", &self.filter_tables),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.kinds().iter().all(|(_, items)| items.is_empty())
    }
}

impl fmt::Display for HostLeftovers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .kinds()
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(kind, items)| format!("{} {kind} {items:?}", items.len()))
            .collect();
        if parts.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

impl Scope {
    /// The story's instances (every state) and VPCs, and the live dir, read
    /// from the running emulator.
    pub async fn of(cloud: &LiveCloud, sdk: &Cloud) -> Result<Scope> {
        let live = cloud
            .moto
            .control("GET", "live", serde_json::json!({}))
            .context("reading GET /_emulator/live")?;
        let live_dir: PathBuf = live["live_dir"]
            .as_str()
            .context("the live emulator names no live_dir")?
            .into();
        let pid_file = live_dir.join("emulator.pid");
        let pid = std::fs::read_to_string(&pid_file)
            .with_context(|| format!("reading {}", pid_file.display()))?;
        let lb_run_dir = format!("{LB_DIR}rr-{}/", pid.trim());
        let reservations = sdk
            .ec2
            .describe_instances()
            .send()
            .await
            .context("DescribeInstances")?;
        let instance_ids = reservations
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        let vpcs = sdk
            .ec2
            .describe_vpcs()
            .send()
            .await
            .context("DescribeVpcs")?;
        let vpc_ids = vpcs
            .vpcs()
            .iter()
            .filter_map(|v| v.vpc_id().map(str::to_owned))
            .collect();
        Ok(Scope {
            live_dir,
            lb_run_dir,
            instance_ids,
            vpc_ids,
        })
    }

    fn namespace(id: &str) -> String {
        format!("rri-{}", id.trim_start_matches("i-"))
    }

    fn veth(id: &str) -> String {
        format!("rrh{}", tail(id, 12))
    }

    fn bridge(vpc_id: &str) -> String {
        format!("rrb{}", tail(vpc_id, 8))
    }
}

fn tail(text: &str, n: usize) -> &str {
    &text[text.len().saturating_sub(n)..]
}

/// What of `scope` is on the host now. `everything` also counts what only
/// one live emulator at a time makes (any HAProxy below [`LB_DIR`], any
/// machine cgroup, the filter table): only while this process holds
/// [`HOST_LOCK`], so that no other live emulator runs.
pub fn scan(scope: &Scope, everything: bool) -> Result<HostLeftovers> {
    let namespaces: Vec<String> = scope
        .instance_ids
        .iter()
        .map(|i| Scope::namespace(i))
        .collect();
    let present_ns = names_in("/run/netns");
    let links = names_in("/sys/class/net");
    let mut left = HostLeftovers {
        overlay_mounts: mounts_below(&scope.live_dir),
        namespaces: present_ns
            .iter()
            .filter(|n| namespaces.contains(n))
            .cloned()
            .collect(),
        veths: scope
            .instance_ids
            .iter()
            .map(|i| Scope::veth(i))
            .filter(|v| links.contains(v))
            .collect(),
        bridges: scope
            .vpc_ids
            .iter()
            .map(|v| Scope::bridge(v))
            .filter(|b| links.contains(b))
            .collect(),
        cgroups: machine_cgroups()
            .into_iter()
            .filter(|path| everything || namespaces.iter().any(|n| path.ends_with(n.as_str())))
            .collect(),
        haproxy: haproxy_below(if everything {
            LB_DIR
        } else {
            &scope.lb_run_dir
        }),
        ..HostLeftovers::default()
    };
    if everything && filter_table_present()? {
        left.filter_tables = vec![format!("{} {}", FILTER_TABLE.0, FILTER_TABLE.1)];
    }
    Ok(left)
}

/// After `terraform destroy`, with the emulator still running: none of the
/// story's machines' parts is left, and the filter table is still in place.
pub async fn after_destroy(cloud: &LiveCloud, sdk: &Cloud) -> Result<Scope> {
    let scope = Scope::of(cloud, sdk).await?;
    let left = scan(&scope, false)?;
    ensure!(left.is_empty(), "left on the host after destroy: {left}");
    ensure!(
        filter_table_present()?,
        "the live emulator runs without its filter table {} {}",
        FILTER_TABLE.0,
        FILTER_TABLE.1
    );
    Ok(scope)
}

/// After the emulator stopped: nothing of it is left. Everything is counted
/// when no other live emulator took the host meanwhile.
pub fn after_stop(scope: &Scope) -> Result<()> {
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(HOST_LOCK)
        .with_context(|| format!("opening {HOST_LOCK}"))?;
    let held = lock.try_lock().is_ok();
    let left = scan(scope, held)?;
    drop(lock); // frees the host lock if this process took it
    ensure!(
        left.is_empty(),
        "left on the host after the emulator stopped: {left}"
    );
    Ok(())
}

fn names_in(dir: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Mount points at or below `dir` (from /proc/self/mountinfo).
fn mounts_below(dir: &Path) -> Vec<String> {
    let base = dir.to_string_lossy().trim_end_matches('/').to_owned();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    mountinfo
        .lines()
        .filter_map(|line| line.split_whitespace().nth(4))
        .map(|point| point.replace("\\040", " "))
        .filter(|point| *point == base || point.starts_with(&format!("{base}/")))
        .collect()
}

/// Every `roundrobin-emulator/<machine>` cgroup directory, in any hierarchy.
fn machine_cgroups() -> Vec<String> {
    let mut parents = vec![PathBuf::from("/sys/fs/cgroup/roundrobin-emulator")];
    parents.extend(names_in("/sys/fs/cgroup").into_iter().map(|h| {
        Path::new("/sys/fs/cgroup")
            .join(h)
            .join("roundrobin-emulator")
    }));
    parents
        .iter()
        .flat_map(|parent| {
            names_in(&parent.to_string_lossy())
                .into_iter()
                .map(|name| parent.join(name))
                .filter(|path| path.is_dir())
                .map(|path| path.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// HAProxy processes with a file below `dir` on their command line.
fn haproxy_below(dir: &str) -> Vec<String> {
    names_in("/proc")
        .into_iter()
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|pid| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let argv: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect();
            let program = Path::new(argv.first()?).file_name()?.to_string_lossy();
            (program == "haproxy" && argv[1..].iter().any(|a| a.starts_with(dir)))
                .then(|| format!("pid {pid}: {}", argv.join(" ")))
        })
        .collect()
}

fn filter_table_present() -> Result<bool> {
    let (family, name) = FILTER_TABLE;
    let listed = Command::new("nft")
        .args(["list", "table", family, name])
        .output()
        .context("running `nft list table` (apt-get install nftables)")?;
    Ok(listed.status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_leftovers_are_named_by_kind() {
        let mut left = HostLeftovers::default();
        assert!(left.is_empty());
        assert_eq!(left.to_string(), "nothing");
        left.bridges.push("rrb1234abcd".to_owned());
        left.filter_tables
            .push("inet roundrobin_emulator".to_owned());
        assert!(!left.is_empty());
        assert_eq!(
            left.to_string(),
            "1 VPC bridges [\"rrb1234abcd\"], 1 filter tables [\"inet roundrobin_emulator\"]"
        );
    }

    #[test]
    fn names_follow_the_emulator() {
        assert_eq!(Scope::namespace("i-0abc"), "rri-0abc");
        assert_eq!(Scope::veth("i-0123456789abcdef0"), "rrh56789abcdef0");
        assert_eq!(Scope::bridge("vpc-12345678abcd"), "rrb5678abcd");
    }
}
