//! One more instance for the group, timed on the live stack: from its
//! machine's start (when the emulator started its systemd-nspawn) to the app
//! answering on the instance's private IP, and to the first `healthy` of its
//! target (the load balancer's real checks); then the group is scaled back.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use super::cloud::LiveCloud;
use super::fleet::{HealthChecks, health_checks, look};
use crate::demo::cloud::Cloud;

/// A bound on each wait: a machine that has not answered by then is broken.
const LIMIT: Duration = Duration::from_secs(300);
/// How often each wait looks again.
const POLL: Duration = Duration::from_millis(20);
/// One probe of the app on its private IP.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// What the scale-out measured.
#[derive(Debug, Clone, Copy)]
pub struct LaunchTimes {
    /// Machine start → the app's first 200 on its private IP.
    pub to_app: Duration,
    /// Machine start → `healthy` in its target group.
    pub to_healthy: Duration,
    /// The load balancer's part of `to_healthy` at best: the healthy
    /// threshold's checks, `HealthyThresholdCount × interval × time scale`.
    pub health_checks: Duration,
}

/// Scales `group` out by one and times its new instance; then back.
pub async fn launch_times(cloud: &LiveCloud, sdk: &Cloud, group: &str) -> Result<LaunchTimes> {
    let checks = health_checks(cloud, sdk, group).await?;
    let fleet = look(sdk, group, &checks).await?;
    let members: BTreeSet<String> = fleet.members.iter().map(|m| m.0.clone()).collect();
    let capacity = i32::try_from(fleet.desired).context("too many instances")?;
    set_capacity(sdk, group, capacity + 1).await?;
    let measured = measure(cloud, sdk, group, &checks, &members).await;
    set_capacity(sdk, group, capacity).await?;
    let (to_app, to_healthy) = measured?;
    Ok(LaunchTimes {
        to_app,
        to_healthy,
        health_checks: checks.to_healthy(),
    })
}

/// Watches the new instance through the APIs that answer at once (its id
/// and private IP from Auto Scaling and EC2), noting the wall-clock time of
/// the app's first 200 and of its first `healthy`; then reads when its
/// machine started from the emulator and gives both times since then.
async fn measure(
    cloud: &LiveCloud,
    sdk: &Cloud,
    group: &str,
    checks: &HealthChecks,
    members: &BTreeSet<String>,
) -> Result<(Duration, Duration)> {
    let asked = Instant::now();
    let (instance, ip) = loop {
        let fleet = look(sdk, group, checks).await?;
        let new = fleet
            .members
            .into_iter()
            .map(|m| m.0)
            .find(|id| !members.contains(id));
        if let Some(id) = new
            && let Some(ip) = private_ip(sdk, &id).await?
        {
            break (id, ip);
        }
        bail_after(asked, "no new instance with a private IP")?;
        tokio::time::sleep(POLL).await;
    };
    let address = SocketAddr::new(ip, checks.port);
    let app_at = loop {
        if answers_200(address) {
            break SystemTime::now();
        }
        bail_after(
            asked,
            &format!("{instance}'s app never answered on {address}"),
        )?;
        tokio::time::sleep(POLL).await;
    };
    let healthy_at = loop {
        let fleet = look(sdk, group, checks).await?;
        if fleet.targets.get(&instance).is_some_and(|s| s == "healthy") {
            break SystemTime::now();
        }
        bail_after(asked, &format!("{instance} was never healthy"))?;
        tokio::time::sleep(POLL).await;
    };
    let started = machine_started(cloud, &instance)?;
    let since = |at: SystemTime| at.duration_since(started).unwrap_or_default();
    Ok((since(app_at), since(healthy_at)))
}

fn bail_after(since: Instant, what: &str) -> Result<()> {
    if since.elapsed() > LIMIT {
        bail!("{what} within {LIMIT:?}");
    }
    Ok(())
}

async fn private_ip(sdk: &Cloud, instance: &str) -> Result<Option<IpAddr>> {
    let found = sdk
        .ec2
        .describe_instances()
        .instance_ids(instance)
        .send()
        .await
        .context("DescribeInstances")?;
    let ip = found
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| i.private_ip_address())
        .map(str::parse)
        .transpose()
        .with_context(|| format!("the private IP of {instance}"))?;
    Ok(ip)
}

/// When the emulator started `instance`'s machine (its systemd-nspawn).
fn machine_started(cloud: &LiveCloud, instance: &str) -> Result<SystemTime> {
    let machines = cloud.machines()?;
    let machine = machines
        .iter()
        .find(|m| m["instance_id"].as_str() == Some(instance))
        .with_context(|| format!("{instance} has no machine"))?;
    let at = machine["started_at"]
        .as_f64()
        .with_context(|| format!("no start time for {instance}'s machine: {machine}"))?;
    Ok(UNIX_EPOCH + Duration::from_secs_f64(at))
}

/// One `GET /` on a fresh connection: true on a 200.
fn answers_200(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, PROBE_TIMEOUT) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(PROBE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(PROBE_TIMEOUT));
    let request = format!("GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

async fn set_capacity(sdk: &Cloud, group: &str, capacity: i32) -> Result<()> {
    sdk.autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name(group)
        .desired_capacity(capacity)
        .send()
        .await
        .context("SetDesiredCapacity")?;
    Ok(())
}
