//! The health gate: a group is ready when it runs its desired number of
//! InService, Healthy instances (of the wanted template version) and each of
//! them is `healthy` in every target group of the group.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_autoscaling::types::{AutoScalingGroup, LifecycleState};
use aws_sdk_elasticloadbalancingv2::types::TargetDescription;

use crate::aws::wait::{Backoff, WaitError, until};
use crate::aws::{Aws, aws_error};
use crate::framework::Diagnostics;

/// One instance's standing, for progress lines and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub instance: String,
    pub problem: Option<String>,
}

pub async fn describe_group(
    aws: &Aws,
    name: &str,
) -> Result<Option<AutoScalingGroup>, Diagnostics> {
    let out = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading autoscaling group {name}"), &e))?;
    Ok(out
        .auto_scaling_groups()
        .iter()
        .find(|g| {
            g.auto_scaling_group_name() == Some(name)
                && g.status().is_none_or(|s| !s.contains("Delete"))
        })
        .cloned())
}

/// Health states of the targets of one target group, by instance id.
async fn target_states(
    aws: &Aws,
    arn: &str,
    ids: &[String],
) -> Result<BTreeMap<String, String>, Diagnostics> {
    let targets: Vec<TargetDescription> = ids
        .iter()
        .map(|id| TargetDescription::builder().id(id).build())
        .collect();
    let out = aws
        .elb
        .describe_target_health()
        .target_group_arn(arn)
        .set_targets(Some(targets))
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading target health of {arn}"), &e))?;
    Ok(out
        .target_health_descriptions()
        .iter()
        .filter_map(|d| {
            let id = d.target()?.id()?.to_string();
            let health = d.target_health()?;
            let state = health
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            let reason = health
                .description()
                .or(health.reason().map(|r| r.as_str()))
                .unwrap_or_default();
            Some((
                id,
                if state == "healthy" {
                    state
                } else {
                    format!("{state} ({reason})")
                },
            ))
        })
        .collect())
}

/// Where each instance of the group stands; `version` limits the count to
/// instances launched from that template version.
pub async fn standings(
    aws: &Aws,
    group: &AutoScalingGroup,
    target_groups: &[String],
    version: Option<&str>,
) -> Result<Vec<Standing>, Diagnostics> {
    let mut out = Vec::new();
    let ids: Vec<String> = group
        .instances()
        .iter()
        .filter(|i| {
            version.is_none_or(|v| i.launch_template().and_then(|t| t.version()) == Some(v))
        })
        .filter(|i| {
            !matches!(
                i.lifecycle_state(),
                Some(
                    LifecycleState::Terminating
                        | LifecycleState::Terminated
                        | LifecycleState::TerminatingWait
                        | LifecycleState::TerminatingProceed
                )
            )
        })
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    let mut states = Vec::new();
    for arn in target_groups {
        states.push((arn, target_states(aws, arn, &ids).await?));
    }
    for instance in group.instances() {
        let Some(id) = instance.instance_id() else {
            continue;
        };
        if !ids.iter().any(|i| i == id) {
            continue;
        }
        let lifecycle = instance
            .lifecycle_state()
            .map(|s| s.as_str())
            .unwrap_or("unknown");
        let problem = if lifecycle != "InService" {
            Some(format!("lifecycle state {lifecycle}"))
        } else if instance.health_status() != Some("Healthy") {
            Some(format!(
                "health status {}",
                instance.health_status().unwrap_or("unknown")
            ))
        } else {
            states
                .iter()
                .find_map(|(arn, s)| match s.get(id).map(String::as_str) {
                    Some("healthy") => None,
                    Some(other) => Some(format!("{other} in target group {}", short_arn(arn))),
                    None => Some(format!("not registered in target group {}", short_arn(arn))),
                })
        };
        out.push(Standing {
            instance: id.to_string(),
            problem,
        });
    }
    Ok(out)
}

fn short_arn(arn: &str) -> &str {
    arn.split(':').next_back().unwrap_or(arn)
}

/// Describes what is wrong with the unhealthy instances.
pub fn describe_problems(standings: &[Standing]) -> String {
    standings
        .iter()
        .filter_map(|s| s.problem.as_ref().map(|p| format!("{}: {p}", s.instance)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Waits until `desired` instances (of `version`, when given) are healthy
/// everywhere. On timeout the error lists the instances and their trouble.
pub async fn wait_healthy(
    aws: &Aws,
    name: &str,
    desired: i64,
    target_groups: &[String],
    version: Option<&str>,
    timeout: Duration,
) -> Result<(), Diagnostics> {
    let last = std::sync::Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    let result = until(Backoff::new(timeout), &aws.stop, || {
        let last = &last;
        async move {
            let Some(group) = describe_group(aws, name).await? else {
                // Right after a create, Describe may not see the group yet.
                if crate::aws::consistency::may_still_be_invisible(started) {
                    return Ok(None);
                }
                return Err(Diagnostics::error(
                    "Autoscaling group vanished",
                    format!("{name} no longer exists."),
                ));
            };
            let now = standings(aws, &group, target_groups, version).await?;
            let healthy = now.iter().filter(|s| s.problem.is_none()).count();
            tracing::info!(
                group = name,
                healthy,
                desired,
                "waiting for healthy capacity"
            );
            let ready = i64::try_from(healthy).unwrap_or(i64::MAX) >= desired;
            if let Ok(mut slot) = last.lock() {
                *slot = now;
            }
            Ok(ready.then_some(()))
        }
    })
    .await;
    match result {
        Ok(()) => Ok(()),
        Err(WaitError::Failed(d)) => Err(d),
        Err(WaitError::Stopped) => Err(Diagnostics::error(
            "Interrupted",
            format!("Stopped while waiting for {name} to become healthy."),
        )),
        Err(WaitError::TimedOut(t)) => Err(Diagnostics::error(
            "Autoscaling group did not become healthy",
            format!(
                "{name} did not reach {desired} healthy instance(s) within {t:?}. {}",
                match describe_problems(&last.lock().map(|l| l.clone()).unwrap_or_default()) {
                    p if p.is_empty() => "No instance was launched yet.".to_string(),
                    p => format!("Unhealthy: {p}."),
                }
            ),
        )),
    }
}
