//! Rolling a new launch template version into a group, and rolling it back.
//!
//! `instance_refresh` starts an AWS instance refresh whose desired
//! configuration names the explicit new version: the group itself stays on
//! the old version until the refresh succeeds, so a rollback really returns
//! to the old version. `surge` doubles the capacity on the new version,
//! waits for health, then scales in removing the oldest template's instances.
//!
//! A `gate` becomes alarms created before the refresh and named in its
//! alarm specification with the user's `alarms`; they are deleted when the
//! refresh has ended, however it ended (see [`super::gate_alarms`]).

use std::time::Duration;

use aws_sdk_autoscaling::types::{
    AlarmSpecification, DesiredConfiguration, InstanceRefresh, InstanceRefreshStatus,
    LaunchTemplateSpecification, RefreshPreferences, RefreshStrategy,
};
use tokio::sync::Mutex;

use super::gate::GateAlarm;
use super::gate_alarms;
use super::gate_watch::Watch;
use super::health::{describe_group, describe_problems, standings, wait_healthy};
use super::schema::Group;
use crate::aws::wait::{Backoff, WaitError, until};
use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;

/// How long a rollback may take once a rollout has failed.
const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(15 * 60);

fn is_active(status: &InstanceRefreshStatus) -> bool {
    matches!(
        status,
        InstanceRefreshStatus::Pending
            | InstanceRefreshStatus::InProgress
            | InstanceRefreshStatus::Cancelling
            | InstanceRefreshStatus::RollbackInProgress
            | InstanceRefreshStatus::Baking
    )
}

async fn refreshes(
    aws: &Aws,
    name: &str,
    id: Option<&str>,
) -> Result<Vec<InstanceRefresh>, Diagnostics> {
    let out = aws
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(name)
        .set_instance_refresh_ids(id.map(|i| vec![i.to_string()]))
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading instance refreshes of {name}"), &e))?;
    Ok(out.instance_refreshes().to_vec())
}

pub(super) fn template(id: &str, version: &str) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_id(id)
        .version(version)
        .build()
}

/// A rollout that reached its end: the status, and warnings (alarms left
/// behind) to show beside the success.
pub struct RolledOut {
    pub status: String,
    pub warnings: Diagnostics,
}

impl RolledOut {
    pub fn successful() -> Self {
        Self::with_status("Successful")
    }
    fn with_status(status: &str) -> Self {
        Self {
            status: status.to_string(),
            warnings: Diagnostics::new(),
        }
    }
}

/// Runs the rollout of `planned`'s template version.
pub async fn roll_out(aws: &Aws, prior: &Group, planned: &Group) -> Result<RolledOut, Diagnostics> {
    if planned.rollout().surge() {
        return super::surge::surge(aws, prior, planned).await;
    }
    let name = planned.name.as_str();
    refuse_when_running(aws, name).await?;
    let gate = match &planned.rollout().gate {
        // Known only now when the plan had it unknown: the gate's alarms
        // need an apply that waits to delete them.
        Some(_) if !planned.rollout().waits() => {
            return Err(Diagnostics::error(
                "The gate needs wait = true",
                "The gate's alarms exist only while the apply waits for the rollout, which then deletes them; with wait = false nobody would.",
            ));
        }
        Some(gate) => gate_alarms::create(aws, name, gate, &planned.target_groups()).await?,
        None => Vec::new(),
    };
    let outcome = instance_refresh(aws, prior, planned, &gate).await;
    // However the refresh ended (success, failure, rollback, Ctrl-C): its
    // alarms go.
    let cleanup = gate_alarms::remove(aws, &gate).await;
    match outcome {
        Ok(mut done) => {
            done.warnings.extend(cleanup);
            Ok(done)
        }
        Err(mut failed) => {
            failed.extend(cleanup);
            Err(failed)
        }
    }
}

async fn refuse_when_running(aws: &Aws, name: &str) -> Result<(), Diagnostics> {
    if let Some(running) = refreshes(aws, name, None)
        .await?
        .into_iter()
        .find(|r| r.status().is_some_and(is_active))
    {
        return Err(Diagnostics::error(
            "An instance refresh is already running",
            format!(
                "{name} has instance refresh {} in status {}. Wait for it to finish, or cancel it (aws autoscaling cancel-instance-refresh --auto-scaling-group-name {name}), then apply again.",
                running.instance_refresh_id().unwrap_or("?"),
                running.status().map(|s| s.as_str()).unwrap_or("?"),
            ),
        ));
    }
    Ok(())
}

fn preferences(planned: &Group, gate: &[GateAlarm]) -> RefreshPreferences {
    let rollout = planned.rollout();
    let int = |n: u64| i32::try_from(n).ok();
    let percent = |v: Option<i64>, d: i32| v.and_then(|n| i32::try_from(n).ok()).unwrap_or(d);
    let mut alarms = rollout.alarms.clone().unwrap_or_default();
    alarms.extend(gate_alarms::names(gate));
    let checkpoints = rollout
        .checkpoints
        .as_ref()
        .map(|list| list.iter().filter_map(|n| i32::try_from(*n).ok()).collect());
    RefreshPreferences::builder()
        .min_healthy_percentage(percent(rollout.min_healthy_percentage, 100))
        .max_healthy_percentage(percent(rollout.max_healthy_percentage, 200))
        .instance_warmup(percent(rollout.instance_warmup, 30))
        .skip_matching(rollout.skip_matching.unwrap_or(true))
        .auto_rollback(rollout.rolls_back())
        .set_checkpoint_percentages(checkpoints)
        .set_checkpoint_delay(rollout.checkpoint_delay_secs().and_then(int))
        .set_bake_time(rollout.bake_time_secs().and_then(int))
        .set_alarm_specification((!alarms.is_empty()).then(|| {
            AlarmSpecification::builder()
                .set_alarms(Some(alarms))
                .build()
        }))
        .build()
}

async fn instance_refresh(
    aws: &Aws,
    prior: &Group,
    planned: &Group,
    gate: &[GateAlarm],
) -> Result<RolledOut, Diagnostics> {
    let name = planned.name.as_str();
    let rollout = planned.rollout();
    let new = planned.template();
    let started = aws
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(name)
        .strategy(RefreshStrategy::Rolling)
        .desired_configuration(
            DesiredConfiguration::builder()
                .launch_template(template(&new.id, &new.version))
                .build(),
        )
        .preferences(preferences(planned, gate))
        .send()
        .await
        .map_err(|e| aws_error(&format!("starting an instance refresh of {name}"), &e))?;
    let refresh_id = started
        .instance_refresh_id()
        .unwrap_or_default()
        .to_string();
    tracing::info!(group = name, refresh = %refresh_id, version = %new.version, "instance refresh started");
    if !rollout.waits() {
        return Ok(RolledOut::with_status("InProgress"));
    }
    let user_alarms = rollout.alarms.clone().unwrap_or_default();
    let watch = Mutex::new(Watch::new(name, &new.version, gate, &user_alarms));

    // One budget for the whole rollout: the refresh and the health wait after it.
    let budget = planned.timeout("update");
    let deadline = std::time::Instant::now() + budget;
    let outcome = wait_refresh(aws, name, &refresh_id, budget, Some(&watch)).await;
    let (status, reason) = match outcome {
        Ok(refresh) => (
            refresh
                .status()
                .cloned()
                .unwrap_or(InstanceRefreshStatus::Failed),
            refresh.status_reason().unwrap_or_default().to_string(),
        ),
        Err(WaitError::Failed(d)) => return Err(d),
        Err(WaitError::TimedOut(t)) => (
            InstanceRefreshStatus::Failed,
            format!("the rollout did not finish within {t:?}"),
        ),
        Err(WaitError::Stopped) => (InstanceRefreshStatus::Cancelled, "interrupted".to_string()),
    };
    if status == InstanceRefreshStatus::Successful {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        wait_healthy(
            aws,
            name,
            planned.desired(),
            &planned.target_groups(),
            Some(&new.version),
            left.max(Duration::from_secs(1)),
        )
        .await?;
        return Ok(RolledOut::successful());
    }

    let unhealthy = new_instance_problems(aws, planned, &new.version).await;
    let verdict = watch.into_inner().verdict(aws).await;
    let old = prior.template();
    let rollback = match status {
        InstanceRefreshStatus::RollbackSuccessful => Rollback::Done,
        InstanceRefreshStatus::RollbackFailed => {
            Rollback::Failed("AWS's automatic rollback failed".into())
        }
        _ if rollout.rolls_back() => {
            match roll_back(aws, name, &refresh_id, status.as_str()).await {
                Ok(true) => Rollback::Done,
                Ok(false) => Rollback::Failed("the rollback did not complete".into()),
                Err(d) => Rollback::Failed(d.summary_line()),
            }
        }
        _ => Rollback::Off,
    };
    let what = rollback.describe(name, &old.version, &new.version);
    Err(Diagnostics::error(
        format!("Rollout of launch template version {} failed", new.version),
        format!(
            "Instance refresh {refresh_id} of {name} ended {}: {}. {}{unhealthy}{what}{}",
            status.as_str(),
            reason.trim_end_matches('.'),
            verdict.stopped_by,
            verdict.new_instances,
        ),
    ))
}

/// What became of the group after a failed rollout.
pub(super) enum Rollback {
    Done,
    /// `auto_rollback = false`.
    Off,
    /// The rollback was tried and did not succeed: said as such.
    Failed(String),
}

impl Rollback {
    pub(super) fn describe(&self, name: &str, old: &str, new: &str) -> String {
        match self {
            Rollback::Done => {
                format!("The group was rolled back and runs launch template version {old}.")
            }
            Rollback::Off => format!(
                "The group was not rolled back (auto_rollback = false); it still has launch template version {old} configured."
            ),
            Rollback::Failed(why) => format!(
                "The rollback failed too ({why}): the group may run instances of version {new}. See aws autoscaling describe-instance-refreshes --auto-scaling-group-name {name}, then apply again."
            ),
        }
    }
}

async fn wait_refresh(
    aws: &Aws,
    name: &str,
    id: &str,
    timeout: Duration,
    watch: Option<&Mutex<Watch>>,
) -> Result<InstanceRefresh, WaitError<Diagnostics>> {
    until(Backoff::new(timeout), &aws.stop, || async move {
        let refresh = refreshes(aws, name, Some(id)).await?.into_iter().next();
        let Some(refresh) = refresh else {
            return Err(Diagnostics::error(
                "Instance refresh vanished",
                format!("{id} of {name} cannot be found."),
            ));
        };
        tracing::info!(
            group = name,
            status = refresh.status().map(|s| s.as_str()).unwrap_or("?"),
            percent = refresh.percentage_complete().unwrap_or(0),
            "instance refresh progress"
        );
        if let Some(watch) = watch {
            watch.lock().await.observe(aws, &refresh).await;
        }
        Ok(refresh
            .status()
            .is_some_and(|s| !is_active(s))
            .then_some(refresh))
    })
    .await
}

/// Asks AWS to roll back (or, where it cannot, cancels) and waits for the
/// group to be back on its old configuration. True when it got there.
async fn roll_back(
    aws: &Aws,
    name: &str,
    refresh_id: &str,
    status: &str,
) -> Result<bool, Diagnostics> {
    let still_active = matches!(status, "Pending" | "InProgress" | "Cancelled");
    if still_active || status == "Failed" {
        match aws
            .autoscaling
            .rollback_instance_refresh()
            .auto_scaling_group_name(name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.code(),
                    Some("ActiveInstanceRefreshNotFound" | "IrreversibleInstanceRefresh")
                ) =>
            {
                let _ = aws
                    .autoscaling
                    .cancel_instance_refresh()
                    .auto_scaling_group_name(name)
                    .send()
                    .await;
            }
            Err(e) => return Err(aws_error(&format!("rolling back {name}"), &e)),
        }
    }
    // A fresh token: a Ctrl-C that interrupted the rollout must not also cut
    // the rollback short.
    let mut rollback = aws.clone();
    rollback.stop = tokio_util::sync::CancellationToken::new();
    match wait_refresh(&rollback, name, refresh_id, ROLLBACK_TIMEOUT, None).await {
        Ok(r) => Ok(
            r.status() == Some(&InstanceRefreshStatus::RollbackSuccessful)
                || r.status() == Some(&InstanceRefreshStatus::Cancelled),
        ),
        Err(WaitError::Failed(d)) => Err(d),
        Err(_) => Ok(false),
    }
}

pub(super) async fn new_instance_problems(aws: &Aws, planned: &Group, version: &str) -> String {
    let Ok(Some(group)) = describe_group(aws, &planned.name).await else {
        return String::new();
    };
    match standings(aws, &group, &planned.target_groups(), Some(version)).await {
        Ok(s) if !describe_problems(&s).is_empty() => {
            format!("New instances: {}. ", describe_problems(&s))
        }
        _ => String::new(),
    }
}
