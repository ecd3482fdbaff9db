//! Rollouts stopped at their first checkpoint by an alarm: the gate's error
//! rate, the gate's p99 latency, and a user's own alarm named in
//! `rollout.alarms`. Each is rolled back; the apply names the alarm (the
//! gate's with its figure and threshold) and the instances that ran the new
//! version; the state keeps the old version; the gate's alarms are deleted.
//!
//! Emulated behaviour relied on (emulator): instance refresh checkpoints
//! waited with `instance_warmup_honored`, AlarmSpecification with
//! AutoRollback; metric-math alarms evaluated each period
//! (`metric_time_scale`), the `cloudwatch/metrics` control, SetAlarmState.

use std::time::Duration;

use anyhow::{Result, bail};
use aws_sdk_autoscaling::types::InstanceRefreshStatus;
use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
use serde_json::json;

use crate::rollout::Stack;
use crate::rollout_gate::{
    ERROR_ALARM, LATENCY_ALARM, cloudwatch, dimensions, gate_alarms, gated_rollout, latest_refresh,
};
use crate::support::{assert_no_crash, eventually_within};

/// What the test does while the refresh waits at its first checkpoint.
enum Trouble {
    /// One request in two answered 500 (datapoints injected).
    Errors,
    /// Every answer takes 400 ms (datapoints injected).
    Slowness,
    /// The user's alarm set to ALARM.
    UserAlarm(&'static str),
}

/// The stack with a gated rollout pausing at 50 % for ten minutes, then the
/// second image rolled out while `trouble` happens: the failed apply's text.
async fn roll_out_into(stack: &mut Stack, trouble: Trouble, extra: &str) -> Result<String> {
    stack.workspace.write_file(
        "rollout_override.tf",
        &gated_rollout("[50, 100]", "600s", extra),
    )?;
    stack.workspace.apply()?;
    // The checkpoint waits its delay; a metric period lasts 6 s.
    stack.honor_warmups(true)?;
    stack
        .moto
        .control("POST", "timing", json!({ "metric_time_scale": 0.1 }))?;
    let (tg, lb) = dimensions(stack).await?;
    stack
        .workspace
        .set_var("image_id", &stack.images[1].clone());
    stack.workspace.set_var("rollout_timeout", "10m");

    let apply = stack.workspace.start_apply()?;
    eventually_within(
        "the refresh waiting at its first checkpoint",
        Duration::from_secs(180),
        || async {
            let refresh = latest_refresh(stack).await?;
            match refresh.percentage_complete() {
                Some(p)
                    if p >= 50 && refresh.status() == Some(&InstanceRefreshStatus::InProgress) =>
                {
                    Ok(())
                }
                other => bail!("the refresh is {:?} at {other:?}", refresh.status()),
            }
        },
    )
    .await?;
    let dims = json!({ "TargetGroup": tg, "LoadBalancer": lb });
    let mut ended = false;
    for _ in 0..90 {
        match &trouble {
            Trouble::Errors => {
                inject(stack, "RequestCount", &dims, vec![1.0; 100], "Count")?;
                inject(
                    stack,
                    "HTTPCode_Target_5XX_Count",
                    &dims,
                    vec![1.0; 50],
                    "Count",
                )?;
            }
            Trouble::Slowness => {
                inject(stack, "RequestCount", &dims, vec![1.0; 100], "Count")?;
                inject(
                    stack,
                    "TargetResponseTime",
                    &dims,
                    vec![0.4; 100],
                    "Seconds",
                )?;
            }
            Trouble::UserAlarm(name) => {
                cloudwatch(stack)
                    .await
                    .set_alarm_state()
                    .alarm_name(*name)
                    .state_value(StateValue::Alarm)
                    .state_reason("the checkout page fails")
                    .send()
                    .await?;
            }
        }
        let status = latest_refresh(stack).await?.status().cloned();
        if matches!(
            status,
            Some(
                InstanceRefreshStatus::RollbackSuccessful
                    | InstanceRefreshStatus::RollbackFailed
                    | InstanceRefreshStatus::Failed
                    | InstanceRefreshStatus::Cancelled
                    | InstanceRefreshStatus::Successful
            )
        ) {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let failed = apply.finish(stack.workspace.timeout())?;
    assert!(ended, "the refresh never ended while its alarm fired");
    assert!(!failed.success(), "{failed}");
    assert_no_crash(&failed);
    let text = failed
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("rolled back"), "{failed}");
    assert!(
        text.contains("Instances that ran launch template version 2"),
        "{failed}"
    );
    assert_eq!(stack.configured_version().await?, "1");
    assert_eq!(stack.saved_template_version()?, "1");
    assert!(
        gate_alarms(stack).await?.is_empty(),
        "the gate's alarms are deleted"
    );
    Ok(text)
}

fn inject(
    stack: &Stack,
    metric: &str,
    dimensions: &serde_json::Value,
    values: Vec<f64>,
    unit: &str,
) -> Result<()> {
    stack.moto.control(
        "POST",
        "cloudwatch/metrics",
        json!({
            "namespace": "AWS/ApplicationELB",
            "metric_name": metric,
            "dimensions": dimensions,
            "values": values,
            "unit": unit,
        }),
    )?;
    Ok(())
}

#[tokio::test]
async fn a_rollout_failing_requests_is_stopped_by_the_error_rate_gate() -> Result<()> {
    let mut stack = Stack::applied().await?;
    let text = roll_out_into(&mut stack, Trouble::Errors, "").await?;
    assert!(text.contains(ERROR_ALARM), "the alarm is named:\n{text}");
    assert!(
        text.contains("of requests failed"),
        "the figure is given:\n{text}"
    );
    assert!(
        text.contains("max_error_rate 0.01"),
        "the threshold is given:\n{text}"
    );
    Ok(())
}

#[tokio::test]
async fn a_slow_rollout_is_stopped_by_the_latency_gate() -> Result<()> {
    let mut stack = Stack::applied().await?;
    let text = roll_out_into(&mut stack, Trouble::Slowness, "").await?;
    assert!(text.contains(LATENCY_ALARM), "the alarm is named:\n{text}");
    assert!(
        text.contains("max_latency_p99 250ms"),
        "the threshold is given:\n{text}"
    );
    Ok(())
}

#[tokio::test]
async fn a_users_own_alarm_stops_the_rollout() -> Result<()> {
    let mut stack = Stack::applied().await?;
    let name = "nodeapp-checkout-errors";
    cloudwatch(&stack)
        .await
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("NodeApp")
        .metric_name("CheckoutErrors")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .send()
        .await?;
    let extra = format!("alarms = [\"{name}\"]");
    let text = roll_out_into(&mut stack, Trouble::UserAlarm(name), &extra).await?;
    assert!(text.contains(name), "the alarm is named:\n{text}");
    Ok(())
}
