//! The live fleet as the chaos stage watches it: the autoscaling group's
//! instances (lifecycle and health status) beside their target health, the
//! target group's health check settings, and bounded waits for the load
//! balancer to drop an instance and for the group to be whole again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use aws_sdk_autoscaling::types::AutoScalingGroup;

use super::cloud::LiveCloud;
use crate::demo::cloud::Cloud;

/// The longest the group may take to replace one instance (grace period,
/// drain, boot, first health checks).
const HEAL_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How often the fleet is looked at while it heals.
const POLL: Duration = Duration::from_millis(250);

/// The target group's health check settings and the emulator's time scale.
#[derive(Debug, Clone)]
pub struct HealthChecks {
    pub target_group_arn: String,
    /// The port its targets serve on (and are checked on, by default).
    pub port: u16,
    pub interval: f64,
    pub timeout: f64,
    pub unhealthy_threshold: f64,
    pub healthy_threshold: f64,
    pub time_scale: f64,
}

impl HealthChecks {
    /// The longest a dead target gets requests: the unhealthy threshold of
    /// failed checks, one interval apart, the last one waiting its timeout.
    pub fn detection(&self) -> Duration {
        Duration::from_secs_f64(
            (self.unhealthy_threshold * self.interval + self.timeout) * self.time_scale,
        )
    }

    /// The least a new target takes to turn healthy once it answers: the
    /// healthy threshold of passed checks, one interval apart.
    pub fn to_healthy(&self) -> Duration {
        Duration::from_secs_f64(self.healthy_threshold * self.interval * self.time_scale)
    }

    /// The most requests that can fail for one dead target at `rate` per second.
    pub fn failure_bound(&self, rate: u32) -> usize {
        (f64::from(rate) * self.detection().as_secs_f64()).ceil() as usize
    }
}

/// One look at the fleet: the group's instances and their target health.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub desired: usize,
    /// (instance, lifecycle state, health status)
    pub members: Vec<(String, String, String)>,
    pub targets: BTreeMap<String, String>,
}

impl Fleet {
    /// Instances InService, Healthy and `healthy` in the target group.
    pub fn serving(&self) -> Vec<&str> {
        self.members
            .iter()
            .filter(|(id, lifecycle, health)| {
                lifecycle == "InService"
                    && health == "Healthy"
                    && self.targets.get(id).is_some_and(|s| s == "healthy")
            })
            .map(|(id, _, _)| id.as_str())
            .collect()
    }

    pub fn holds(&self, instance: &str) -> bool {
        self.members.iter().any(|(id, _, _)| id == instance)
    }

    pub fn line(&self) -> String {
        let members: Vec<String> = self
            .members
            .iter()
            .map(|(id, lifecycle, health)| {
                let target = self.targets.get(id).map_or("-", String::as_str);
                format!("{id} {lifecycle}/{health}/{target}")
            })
            .collect();
        format!("desired {}: {}", self.desired, members.join(", "))
    }
}

pub async fn look(sdk: &Cloud, group: &str, checks: &HealthChecks) -> Result<Fleet> {
    let groups = sdk
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .context("DescribeAutoScalingGroups")?;
    let found: &AutoScalingGroup = groups
        .auto_scaling_groups()
        .first()
        .with_context(|| format!("there is no autoscaling group {group}"))?;
    let members = found
        .instances()
        .iter()
        .map(|i| {
            (
                i.instance_id().unwrap_or_default().to_owned(),
                i.lifecycle_state()
                    .map(|s| s.as_str())
                    .unwrap_or("?")
                    .to_owned(),
                i.health_status().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    let health = sdk
        .elb
        .describe_target_health()
        .target_group_arn(&checks.target_group_arn)
        .send()
        .await
        .context("DescribeTargetHealth")?;
    let targets = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| {
            let id = d.target()?.id()?.to_owned();
            let state = d.target_health()?.state()?.as_str().to_owned();
            Some((id, state))
        })
        .collect();
    Ok(Fleet {
        desired: usize::try_from(found.desired_capacity().unwrap_or(0)).unwrap_or(0),
        members,
        targets,
    })
}

pub async fn health_checks(cloud: &LiveCloud, sdk: &Cloud, group: &str) -> Result<HealthChecks> {
    let found = sdk
        .elb
        .describe_target_groups()
        .names(group)
        .send()
        .await
        .context("DescribeTargetGroups")?;
    let tg = found.target_groups().first().context("no target group")?;
    let timing = cloud.moto.control("GET", "timing", serde_json::json!({}))?;
    let time_scale = timing["timing"]["health_check_time_scale"]
        .as_f64()
        .with_context(|| format!("no health_check_time_scale in {timing}"))?;
    Ok(HealthChecks {
        target_group_arn: tg.target_group_arn().context("no ARN")?.to_owned(),
        port: tg
            .port()
            .and_then(|p| u16::try_from(p).ok())
            .context("no target group port")?,
        interval: f64::from(tg.health_check_interval_seconds().context("no interval")?),
        timeout: f64::from(tg.health_check_timeout_seconds().context("no timeout")?),
        unhealthy_threshold: f64::from(
            tg.unhealthy_threshold_count()
                .context("no unhealthy threshold")?,
        ),
        healthy_threshold: f64::from(
            tg.healthy_threshold_count()
                .context("no healthy threshold")?,
        ),
        time_scale,
    })
}

/// Waits until the whole fleet serves (and none of `gone` is in the group).
pub async fn full_health(
    sdk: &Cloud,
    group: &str,
    checks: &HealthChecks,
    gone: &[&str],
) -> Result<Fleet> {
    let started = Instant::now();
    loop {
        let fleet = look(sdk, group, checks).await?;
        let whole = fleet.desired > 0
            && fleet.serving().len() == fleet.desired
            && gone.iter().all(|id| !fleet.holds(id));
        if whole {
            return Ok(fleet);
        }
        if started.elapsed() > HEAL_TIMEOUT {
            bail!(
                "the fleet did not heal within {} s: {}",
                HEAL_TIMEOUT.as_secs(),
                fleet.line()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the load balancer no longer has `instance` healthy; when
/// that was seen, on the load's clock (`load_started`).
pub async fn out_of_rotation(
    sdk: &Cloud,
    group: &str,
    checks: &HealthChecks,
    instance: &str,
    load_started: Instant,
) -> Result<Duration> {
    let started = Instant::now();
    loop {
        let fleet = look(sdk, group, checks).await?;
        if fleet.targets.get(instance).is_none_or(|s| s != "healthy") {
            return Ok(load_started.elapsed());
        }
        if started.elapsed() > HEAL_TIMEOUT {
            bail!(
                "the load balancer still routes to {instance}: {}",
                fleet.line()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failure_bound_follows_the_health_check_settings() {
        let checks = HealthChecks {
            target_group_arn: "arn".to_owned(),
            port: 8080,
            interval: 10.0,
            timeout: 5.0,
            unhealthy_threshold: 2.0,
            healthy_threshold: 3.0,
            time_scale: 0.1,
        };
        assert_eq!(checks.detection(), Duration::from_millis(2500));
        assert_eq!(checks.to_healthy(), Duration::from_secs(3));
        assert_eq!(checks.failure_bound(40), 100);
    }
}
