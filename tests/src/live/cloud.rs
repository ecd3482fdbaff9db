//! The emulator in its live mode: instances are systemd-nspawn machines
//! booted from real image disks, load balancers are HAProxy processes on
//! loopback ports. One per host at a time (it sweeps what a crashed run
//! left by name), so the live story runs alone.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::moto::{EmulatorOptions, MotoServer};

/// Set to `skip` to skip the live story where a machine cannot boot one
/// (no root, no systemd-nspawn or haproxy); it says so loudly.
pub const SKIP_ENV: &str = "ROUNDROBIN_LIVE";

/// Health checks and deregistration delays run this much faster than the
/// stack's settings say (10 s intervals become 1 s), so a rollout takes
/// seconds, not minutes; the rules are the same.
pub const TIME_SCALE: &str = "0.1";

/// What the live mode needs from this machine; the missing parts, named.
pub fn missing_requirements() -> Vec<String> {
    let mut missing = Vec::new();
    if !rustix::process::geteuid().is_root() {
        missing.push("root (machines and network namespaces need it)".to_owned());
    }
    for (program, package) in [
        ("systemd-nspawn", "systemd-container"),
        ("haproxy", "haproxy"),
        ("debootstrap", "debootstrap"),
        ("ip", "iproute2"),
    ] {
        let found = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
        }) || ["/usr/sbin", "/sbin", "/usr/bin"]
            .iter()
            .any(|dir| std::path::Path::new(dir).join(program).is_file());
        if !found {
            missing.push(format!("{program} (apt-get install {package})"));
        }
    }
    missing
}

/// The live emulator.
pub struct LiveCloud {
    pub moto: MotoServer,
    /// The Amazon-owned base image backed by the Debian rootfs.
    pub base_image: String,
}

impl LiveCloud {
    /// Starts it (the first time, the base rootfs is made with debootstrap:
    /// minutes) and finds the base image.
    pub fn start() -> Result<LiveCloud> {
        let options = EmulatorOptions {
            args: [
                "--machines",
                "nspawn",
                "--health-check-time-scale",
                TIME_SCALE,
            ]
            .map(str::to_owned)
            .to_vec(),
            ready_timeout: Duration::from_secs(30 * 60),
            stop_grace: Duration::from_secs(90),
        };
        let moto = MotoServer::start_with(&options).context("starting the live emulator")?;
        let live = moto
            .control("GET", "live", serde_json::json!({}))
            .context("reading GET /_emulator/live")?;
        let base_image = live["base_image_ids"][crate::moto::REGION]
            .as_str()
            .context("the live emulator names no base image")?
            .to_owned();
        Ok(LiveCloud { moto, base_image })
    }

    /// The loopback port a load balancer's first listener serves on.
    pub fn load_balancer_port(&self, dns_name: &str) -> Result<u16> {
        let listing = self
            .moto
            .control("GET", "load-balancers", serde_json::json!({}))?;
        port_of(&listing, dns_name)
    }

    /// The machines the emulator runs now (instance id, state, hostname).
    pub fn machines(&self) -> Result<Vec<Value>> {
        let live = self.moto.control("GET", "live", serde_json::json!({}))?;
        Ok(live["machines"].as_array().cloned().unwrap_or_default())
    }
}

/// Finds `http://127.0.0.1:PORT` of `dns_name` in `GET /_emulator/load-balancers`.
fn port_of(listing: &Value, dns_name: &str) -> Result<u16> {
    let balancers = &listing["load_balancers"];
    let entry = balancers
        .get(dns_name)
        .or_else(|| {
            balancers
                .as_object()?
                .values()
                .find(|lb| lb["dns_name"].as_str() == Some(dns_name))
        })
        .with_context(|| format!("no live load balancer {dns_name} in {listing}"))?;
    // `listeners` maps each listener's port to its local URL.
    let url = entry["listeners"]
        .get("80")
        .or_else(|| entry["listeners"].as_object()?.values().next())
        .and_then(Value::as_str)
        .with_context(|| format!("no listener URL for {dns_name} in {entry}"))?;
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok());
    match port {
        Some(port) => Ok(port),
        None => bail!("cannot read a port from {url}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listener_port_is_read_from_the_listing() {
        let listing = serde_json::json!({"live": true, "load_balancers": {
            "web-1.us-east-1.elb.amazonaws.com": {
                "dns_name": "web-1.us-east-1.elb.amazonaws.com",
                "listeners": {"80": "http://127.0.0.1:41234"}
            }
        }});
        assert_eq!(
            port_of(&listing, "web-1.us-east-1.elb.amazonaws.com").ok(),
            Some(41234)
        );
        assert!(port_of(&listing, "other").is_err());
    }
}
