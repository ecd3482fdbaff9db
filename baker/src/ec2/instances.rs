//! The builder instance: its state, waiting for a state, terminating it.
//!
//! EC2 is eventually consistent: right after RunInstances (or a create of
//! any kind) a call naming the new id may answer `InvalidInstanceID.NotFound`.
//! Such an answer means "not yet" for a bounded time, never "gone"; and an
//! instance is only reported terminated once neither its id nor the build-id
//! tag shows it alive.

use std::time::Duration;

use aws_sdk_ec2::types::InstanceStateName;
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::lag;
use roundrobin_aws::wait::{self, Backoff};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{at_least_once, filter, wait_error};
use crate::error::StepError;

/// How long an instance may be unknown to calls naming its id before baker
/// believes it is gone.
pub const NOT_FOUND_GRACE: Duration = Duration::from_secs(120);

/// How many times TerminateInstances is retried while it answers NotFound
/// for an instance the build-id tag still shows.
const TERMINATE_ATTEMPTS: u32 = 6;

fn not_found(code: Option<&str>) -> bool {
    code == Some("InvalidInstanceID.NotFound")
}

/// The instance's state and state reason; `None` when AWS does not know it
/// (yet, or any more).
pub async fn instance_state(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<(InstanceStateName, String)>, StepError> {
    let out = match ec2.describe_instances().instance_ids(id).send().await {
        Ok(out) => out,
        Err(e) if not_found(e.code()) => return Ok(None),
        Err(e) => return Err(StepError::aws("DescribeInstances")(e)),
    };
    let instance = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.instance_id() == Some(id));
    Ok(instance.map(|i| {
        let state = i
            .state()
            .and_then(|s| s.name())
            .cloned()
            .unwrap_or(InstanceStateName::Pending);
        let reason = i
            .state_reason()
            .and_then(|r| r.message())
            .unwrap_or_default()
            .to_string();
        (state, reason)
    }))
}

/// Waits until the instance is in `target` (running or stopped). NotFound
/// means "not yet" for [`NOT_FOUND_GRACE`]; an instance that ends up
/// terminated on the way is an error.
pub async fn wait_instance(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    target: InstanceStateName,
    backoff: Backoff,
    stop: &CancellationToken,
) -> Result<(), StepError> {
    let target_name = target.as_str().to_string();
    let started = Instant::now();
    let grace = NOT_FOUND_GRACE.min(backoff.timeout);
    let result = wait::until(backoff, stop, || {
        let target = target.clone();
        async move {
            match instance_state(ec2, id).await? {
                Some((state, _)) if state == target => Ok(Some(())),
                None if started.elapsed() < grace => {
                    tracing::debug!(instance = id, "not known to DescribeInstances yet");
                    Ok(None)
                }
                None => Err(StepError::unexpected(format!(
                    "instance {id} does not exist: DescribeInstances answered \
                     InvalidInstanceID.NotFound for {}",
                    humantime::format_duration(grace)
                ))),
                Some((InstanceStateName::Terminated | InstanceStateName::ShuttingDown, reason)) => {
                    Err(StepError::unexpected(format!(
                        "instance {id} was terminated while waiting for it to be {}{}",
                        target.as_str(),
                        if reason.is_empty() {
                            String::new()
                        } else {
                            format!(": {reason}")
                        }
                    )))
                }
                Some(_) => Ok(None),
            }
        }
    })
    .await;
    result.map_err(|e| wait_error(e, format!("instance {id} to be {target_name}"), None))
}

/// What [`terminate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terminated {
    /// Terminated and seen terminated (or gone by id and by tag).
    pub terminated: Vec<String>,
    /// Unknown by id and not carrying the build-id tag: nothing to do.
    pub not_found: Vec<String>,
}

/// Terminates instances of build `build_id` and waits until they are gone.
/// A NotFound answer is checked against the build-id tag before anything is
/// called gone; for an id in `young` (launched by this build at that
/// instant: AWS may not show it by id nor by tag yet) it means "not yet" and
/// the call is tried again until that lag is over. On an error, what is left
/// is named.
pub async fn terminate(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
    young: &[(String, std::time::Instant)],
    build_id: &str,
    backoff: Backoff,
    stop: &CancellationToken,
) -> Result<Terminated, StepError> {
    let launched = |id: &str| young.iter().find(|(y, _)| y == id).map(|(_, at)| *at);
    let lagging = |id: &String| launched(id).is_some_and(lag::may_still_be_invisible);
    let mut report = Terminated::default();
    let mut ids = ids.to_vec();
    let mut pause = backoff.first;
    let mut attempt = 1;
    while !ids.is_empty() {
        match ec2
            .terminate_instances()
            .set_instance_ids(Some(ids.clone()))
            .send()
            .await
        {
            Ok(_) => break,
            Err(e) if not_found(e.code()) => {
                // One unknown id fails the whole call: the tag tells which
                // instances of this build are still alive.
                let mut alive = instances_of_build(ec2, build_id)
                    .await
                    .map_err(|reason| left(&ids, "not terminated", reason))?;
                let not_yet: Vec<String> = ids
                    .iter()
                    .filter(|i| !alive.contains(i) && lagging(i))
                    .cloned()
                    .collect();
                report.not_found.extend(
                    ids.iter()
                        .filter(|i| !alive.contains(i) && !not_yet.contains(i))
                        .cloned(),
                );
                alive.extend(not_yet.iter().cloned());
                ids = alive;
                if ids.is_empty() {
                    break;
                }
                // An id this build launched a moment ago answers NotFound
                // while AWS catches up, even when the tag already lists it.
                let waiting_out_lag = ids.iter().any(lagging);
                if (attempt >= TERMINATE_ATTEMPTS && !waiting_out_lag) || stop.is_cancelled() {
                    return Err(left(
                        &ids,
                        "not terminated",
                        StepError::aws("TerminateInstances")(e),
                    ));
                }
                attempt += 1;
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = stop.cancelled() => {}
                }
                pause = (pause * 2).min(backoff.max);
            }
            Err(e) => {
                return Err(left(
                    &ids,
                    "not terminated",
                    StepError::aws("TerminateInstances")(e),
                ));
            }
        }
    }
    report.not_found.retain(|i| !ids.contains(i));
    for id in &ids {
        wait_terminated(ec2, id, launched(id), build_id, backoff, stop)
            .await
            .map_err(|reason| left(std::slice::from_ref(id), "terminating", reason))?;
        report.terminated.push(id.clone());
    }
    Ok(report)
}

/// Waits until `id` is terminated; an id DescribeInstances does not know
/// counts as gone only when the build-id tag does not show it either, and
/// (when this build `launched` it) once its lag is over.
async fn wait_terminated(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    launched: Option<std::time::Instant>,
    build_id: &str,
    backoff: Backoff,
    stop: &CancellationToken,
) -> Result<(), StepError> {
    let result = at_least_once(backoff, stop, || async {
        match instance_state(ec2, id).await? {
            Some((InstanceStateName::Terminated, _)) => Ok(Some(())),
            Some(_) => Ok(None),
            None if launched.is_some_and(lag::may_still_be_invisible) => {
                tracing::debug!(instance = id, "not known to DescribeInstances yet");
                Ok(None)
            }
            None => {
                let alive = instances_of_build(ec2, build_id).await?;
                Ok((!alive.iter().any(|a| a == id)).then_some(()))
            }
        }
    })
    .await;
    result.map_err(|e| wait_error(e, format!("instance {id} to be terminated"), None))
}

fn left(ids: &[String], how: &str, reason: StepError) -> StepError {
    StepError::Left {
        left: ids
            .iter()
            .map(|i| format!("instance {i} ({how})"))
            .collect(),
        reason: Box::new(reason),
    }
}

/// Instances tagged with this build id that are not terminated yet: what a
/// RunInstances call that was in flight at an interruption may have made.
pub async fn instances_of_build(
    ec2: &aws_sdk_ec2::Client,
    build_id: &str,
) -> Result<Vec<String>, StepError> {
    let out = ec2
        .describe_instances()
        .filters(filter("tag:baker:build-id", &[build_id]))
        .filters(filter(
            "instance-state-name",
            &["pending", "running", "stopping", "stopped", "shutting-down"],
        ))
        .send()
        .await
        .map_err(StepError::aws("DescribeInstances"))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect())
}
