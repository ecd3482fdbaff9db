//! One more instance for the group, timed on the live stack: from its
//! machine's start (the emulator lists its systemd-nspawn process) to the
//! app answering on the instance's private IP, and to the first `healthy` of
//! its target (the load balancer's real checks); then the group is scaled back.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::cloud::LiveCloud;
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

/// What the measurement needs to know of the stack.
pub struct Stack<'a> {
    pub cloud: &'a LiveCloud,
    pub sdk: &'a Cloud,
    pub group: &'a str,
    pub target_group_arn: &'a str,
    /// The port the app listens on (the target group's).
    pub app_port: u16,
}

/// Scales the group out by one and times its new instance.
pub async fn launch_times(stack: &Stack<'_>) -> Result<LaunchTimes> {
    let health_checks = health_check_time(stack).await?;
    let before = healthy_targets(stack.sdk, stack.target_group_arn).await?;
    let known: BTreeSet<String> = machine_ids(stack.cloud)?.into_iter().collect();
    let capacity = i32::try_from(before.len()).context("too many targets")?;
    set_capacity(stack.sdk, stack.group, capacity + 1).await?;
    let measured = measure(stack, &known, &before).await;
    set_capacity(stack.sdk, stack.group, capacity).await?;
    let (to_app, to_healthy) = measured?;
    Ok(LaunchTimes {
        to_app,
        to_healthy,
        health_checks,
    })
}

async fn measure(
    stack: &Stack<'_>,
    known: &BTreeSet<String>,
    healthy_before: &BTreeSet<String>,
) -> Result<(Duration, Duration)> {
    let asked = Instant::now();
    let (instance, ip) = loop {
        if let Some(found) = new_machine(stack.cloud, known)? {
            break found;
        }
        bail_after(asked, "no new machine started")?;
        tokio::time::sleep(POLL).await;
    };
    let started = Instant::now();
    let address = SocketAddr::new(ip, stack.app_port);
    let to_app = loop {
        if answers_200(address) {
            break started.elapsed();
        }
        bail_after(
            started,
            &format!("{instance}'s app never answered on {address}"),
        )?;
        tokio::time::sleep(POLL).await;
    };
    let to_healthy = loop {
        let now = healthy_targets(stack.sdk, stack.target_group_arn).await?;
        if now.contains(&instance) && !healthy_before.contains(&instance) {
            break started.elapsed();
        }
        bail_after(started, &format!("{instance} was never healthy"))?;
        tokio::time::sleep(POLL).await;
    };
    Ok((to_app, to_healthy))
}

fn bail_after(since: Instant, what: &str) -> Result<()> {
    if since.elapsed() > LIMIT {
        bail!("{what} within {LIMIT:?}");
    }
    Ok(())
}

fn machine_ids(cloud: &LiveCloud) -> Result<Vec<String>> {
    Ok(cloud
        .machines()?
        .iter()
        .filter_map(|m| m["instance_id"].as_str().map(str::to_owned))
        .collect())
}

/// A machine the emulator started since `known` was read (its nspawn
/// process runs), with its private IP.
fn new_machine(cloud: &LiveCloud, known: &BTreeSet<String>) -> Result<Option<(String, IpAddr)>> {
    for machine in cloud.machines()? {
        let Some(id) = machine["instance_id"].as_str() else {
            continue;
        };
        if known.contains(id) || machine["nspawn_pid"].as_u64().is_none() {
            continue;
        }
        let ip = machine["private_ip"]
            .as_str()
            .with_context(|| format!("no private IP for {id}: {machine}"))?
            .parse()
            .with_context(|| format!("the private IP of {id}: {machine}"))?;
        return Ok(Some((id.to_owned(), ip)));
    }
    Ok(None)
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

async fn health_check_time(stack: &Stack<'_>) -> Result<Duration> {
    let found = stack
        .sdk
        .elb
        .describe_target_groups()
        .target_group_arns(stack.target_group_arn)
        .send()
        .await
        .context("DescribeTargetGroups")?;
    let group = found.target_groups().first().context("no target group")?;
    let threshold = group
        .healthy_threshold_count()
        .context("no healthy threshold")?;
    let interval = group
        .health_check_interval_seconds()
        .context("no interval")?;
    let timing = stack
        .cloud
        .moto
        .control("GET", "timing", serde_json::json!({}))?;
    let scale = timing["health_check_time_scale"]
        .as_f64()
        .with_context(|| format!("no health_check_time_scale in {timing}"))?;
    Ok(Duration::from_secs_f64(
        f64::from(threshold) * f64::from(interval) * scale,
    ))
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

async fn healthy_targets(sdk: &Cloud, target_group: &str) -> Result<BTreeSet<String>> {
    let health = sdk
        .elb
        .describe_target_health()
        .target_group_arn(target_group)
        .send()
        .await
        .context("DescribeTargetHealth")?;
    Ok(health
        .target_health_descriptions()
        .iter()
        .filter(|d| {
            d.target_health()
                .and_then(|h| h.state())
                .map(|s| s.as_str())
                == Some("healthy")
        })
        .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_owned))
        .collect())
}
