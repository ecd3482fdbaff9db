//! Instance and image helpers shared by the steps, their cleanups and `prune`.

use std::time::Duration;

use aws_sdk_ec2::types::{Filter, Image, InstanceStateName};
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::wait::{self, Backoff, WaitError};
use tokio_util::sync::CancellationToken;

use crate::config::WaitConfig;
use crate::error::StepError;

/// The backoff of a wait with the configured polling and `timeout_secs`.
pub fn backoff(config: &WaitConfig, timeout_secs: u64) -> Backoff {
    Backoff {
        first: Duration::from_millis(config.poll_first_ms.max(1)),
        max: Duration::from_millis(config.poll_max_ms.max(config.poll_first_ms).max(1)),
        timeout: Duration::from_secs(timeout_secs),
    }
}

/// A wait's failure as a step error.
pub fn wait_error(e: WaitError<StepError>, what: String, hint: Option<String>) -> StepError {
    match e {
        WaitError::TimedOut(waited) => StepError::TimedOut { what, waited, hint },
        WaitError::Stopped => StepError::Interrupted,
        WaitError::Failed(e) => e,
    }
}

pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// The instance's state and state reason; `None` when AWS does not know it.
pub async fn instance_state(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<(InstanceStateName, String)>, StepError> {
    let out = match ec2.describe_instances().instance_ids(id).send().await {
        Ok(out) => out,
        Err(e) if e.code() == Some("InvalidInstanceID.NotFound") => return Ok(None),
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

/// Waits until the instance is in `target`; an instance that ends up
/// terminated (or vanishes) on the way to another state is an error.
pub async fn wait_instance(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    target: InstanceStateName,
    backoff: Backoff,
    stop: &CancellationToken,
) -> Result<(), StepError> {
    let target_name = target.as_str().to_string();
    let result = wait::until(backoff, stop, || {
        let target = target.clone();
        async move {
            match instance_state(ec2, id).await? {
                Some((state, _)) if state == target => Ok(Some(())),
                None if target == InstanceStateName::Terminated => Ok(Some(())),
                None => Err(StepError::unexpected(format!(
                    "instance {id} no longer exists"
                ))),
                Some((InstanceStateName::Terminated | InstanceStateName::ShuttingDown, reason))
                    if target != InstanceStateName::Terminated =>
                {
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

/// Terminates instances and waits until they are gone.
pub async fn terminate(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
    backoff: Backoff,
    stop: &CancellationToken,
) -> Result<(), StepError> {
    if ids.is_empty() {
        return Ok(());
    }
    match ec2
        .terminate_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if e.code() == Some("InvalidInstanceID.NotFound") => return Ok(()),
        Err(e) => return Err(StepError::aws("TerminateInstances")(e)),
    }
    for id in ids {
        wait_instance(ec2, id, InstanceStateName::Terminated, backoff, stop).await?;
    }
    Ok(())
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

/// The EBS snapshots behind an image.
pub fn snapshots_of(image: &Image) -> Vec<String> {
    image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
        .collect()
}

/// Describes one image; `None` when it does not exist (any more).
pub async fn describe_image(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<Image>, StepError> {
    match ec2.describe_images().image_ids(id).send().await {
        Ok(out) => Ok(out
            .images()
            .iter()
            .find(|i| i.image_id() == Some(id))
            .cloned()),
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(StepError::aws("DescribeImages")(e)),
    }
}

/// Deregisters an image, then deletes its snapshots; what is already gone
/// is not an error.
pub async fn delete_image(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    snapshots: &[String],
) -> Result<(), StepError> {
    match ec2.deregister_image().image_id(id).send().await {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
            ) => {}
        Err(e) => return Err(StepError::aws("DeregisterImage")(e)),
    }
    for snapshot in snapshots {
        match ec2.delete_snapshot().snapshot_id(snapshot).send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("InvalidSnapshot.NotFound") => {}
            Err(e) => return Err(StepError::aws("DeleteSnapshot")(e)),
        }
    }
    Ok(())
}
