//! The rollout's instance refresh knobs and its gate, on the example stack:
//! a gated rollout names the gate's alarms in the refresh and deletes them
//! when it is over, also after Ctrl-C; bad knobs are refused at plan time on
//! their attribute, and those unknown at plan time when they are known.
//! Gates that fire: `rollout_gate_alarms`.
//!
//! Emulated behaviour relied on (emulator): instance refresh checkpoints,
//! CheckpointDelay waited with `instance_warmup_honored`, AlarmSpecification
//! with AutoRollback; CloudWatch over RPC v2 CBOR, metric-math alarms
//! evaluated each period (`metric_time_scale`), and the
//! `cloudwatch/metrics` control that injects load balancer datapoints.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_autoscaling::types::InstanceRefreshStatus;

use crate::rollout::Stack;
use crate::support::{assert_no_changes, assert_no_crash, eventually_within};

pub(crate) const ERROR_ALARM: &str = "roundrobin-gate-nodeapp-error-rate";
pub(crate) const LATENCY_ALARM: &str = "roundrobin-gate-nodeapp-latency-p99";

/// The example stack's rollout block with checkpoints and a gate.
pub(crate) fn gated_rollout(checkpoints: &str, delay: &str, extra: &str) -> String {
    format!(
        r#"resource "roundrobin_autoscaling_group" "app" {{
  rollout {{
    strategy               = "instance_refresh"
    min_healthy_percentage = 100
    max_healthy_percentage = 200
    instance_warmup        = 0
    checkpoints            = {checkpoints}
    checkpoint_delay       = "{delay}"
    {extra}
    gate {{
      max_error_rate  = 0.01
      max_latency_p99 = "250ms"
      window          = "60s"
      min_requests    = 20
    }}
  }}
}}
"#
    )
}

pub(crate) async fn cloudwatch(stack: &Stack) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&stack.moto.sdk_config().await)
}

/// Names of the gate's alarms that exist.
pub(crate) async fn gate_alarms(stack: &Stack) -> Result<Vec<String>> {
    let found = cloudwatch(stack)
        .await
        .describe_alarms()
        .alarm_name_prefix("roundrobin-gate-")
        .send()
        .await?;
    Ok(found
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect())
}

pub(crate) async fn latest_refresh(
    stack: &Stack,
) -> Result<aws_sdk_autoscaling::types::InstanceRefresh> {
    let out = stack
        .asg
        .describe_instance_refreshes()
        .auto_scaling_group_name("nodeapp")
        .send()
        .await?;
    out.instance_refreshes()
        .first()
        .cloned()
        .context("no instance refresh of nodeapp")
}

/// `(TargetGroup, LoadBalancer)` dimension values of the stack's target group.
pub(crate) async fn dimensions(stack: &Stack) -> Result<(String, String)> {
    let groups = stack.elb.describe_target_groups().send().await?;
    let group = groups.target_groups().first().context("no target group")?;
    let resource = |arn: &str| arn.rsplit(':').next().unwrap_or(arn).to_string();
    let tg = resource(group.target_group_arn().unwrap_or_default());
    let lb_arn = group
        .load_balancer_arns()
        .first()
        .context("the target group has no load balancer")?;
    let lb = resource(lb_arn);
    let lb = lb.strip_prefix("loadbalancer/").unwrap_or(&lb).to_string();
    Ok((tg, lb))
}

#[tokio::test]
async fn a_gated_rollout_names_its_alarms_in_the_refresh_and_deletes_them() -> Result<()> {
    let mut stack = Stack::applied().await?;
    stack.workspace.write_file(
        "rollout_override.tf",
        &gated_rollout("[50, 100]", "5s", "bake_time = \"0s\""),
    )?;
    stack.workspace.apply()?;
    assert_no_changes(&stack.workspace)?;
    assert!(
        gate_alarms(&stack).await?.is_empty(),
        "no alarm before a rollout"
    );

    // No traffic in API mode: the gate gives no verdict and lets it pass.
    stack
        .workspace
        .set_var("image_id", &stack.images[1].clone());
    stack.workspace.apply()?;
    assert_eq!(stack.configured_version().await?, "2");
    let refresh = latest_refresh(&stack).await?;
    let preferences = refresh.preferences().context("no preferences")?;
    assert_eq!(preferences.checkpoint_percentages(), &[50, 100]);
    assert_eq!(preferences.checkpoint_delay(), Some(5));
    let named = preferences
        .alarm_specification()
        .map(|a| a.alarms().to_vec())
        .unwrap_or_default();
    assert!(named.contains(&ERROR_ALARM.to_string()), "{named:?}");
    assert!(named.contains(&LATENCY_ALARM.to_string()), "{named:?}");
    assert!(
        gate_alarms(&stack).await?.is_empty(),
        "the gate's alarms are deleted"
    );
    assert_no_changes(&stack.workspace)?;

    // New knobs alone change no instance and start no refresh.
    stack.workspace.write_file(
        "rollout_override.tf",
        &gated_rollout("[25, 50, 100]", "10s", "skip_matching = false"),
    )?;
    stack.workspace.apply()?;
    assert_no_changes(&stack.workspace)?;
    assert_eq!(
        latest_refresh(&stack).await?.instance_refresh_id(),
        refresh.instance_refresh_id(),
        "a change of knobs starts no refresh"
    );
    Ok(())
}

#[tokio::test]
async fn bad_knobs_are_refused_at_plan_on_their_attribute() -> Result<()> {
    let stack = Stack::applied().await?;
    for (checkpoints, window, expected) in [
        ("[50, 30, 100]", "60s", "Checkpoints must ascend"),
        ("[50]", "60s", "The last checkpoint must be 100"),
        ("[50, 100]", "90s", "Invalid gate window"),
    ] {
        let config = gated_rollout(checkpoints, "60s", "")
            .replace("\"60s\"\n      min", &format!("\"{window}\"\n      min"));
        stack.workspace.write_file("rollout_override.tf", &config)?;
        let plan = stack.workspace.plan_expecting_failure()?;
        assert_no_crash(&plan);
        let text = plan.combined();
        assert!(text.contains(expected), "{expected}:\n{plan}");
        let attribute = if window == "90s" {
            "window"
        } else {
            "checkpoints"
        };
        assert!(text.contains(attribute), "the attribute is shown:\n{plan}");
    }
    stack.workspace.write_file(
        "rollout_override.tf",
        &gated_rollout("[50, 100]", "60s", "wait = false"),
    )?;
    let plan = stack.workspace.plan_expecting_failure()?;
    assert!(
        plan.combined().contains("The gate needs wait = true"),
        "{plan}"
    );
    Ok(())
}

#[tokio::test]
async fn ctrl_c_during_a_gated_rollout_rolls_back_and_deletes_the_alarms() -> Result<()> {
    let mut stack = Stack::applied().await?;
    stack.workspace.write_file(
        "rollout_override.tf",
        &gated_rollout("[50, 100]", "600s", ""),
    )?;
    stack.workspace.apply()?;
    // The refresh waits at its first checkpoint: time enough for Ctrl-C.
    stack.honor_warmups(true)?;
    stack
        .workspace
        .set_var("image_id", &stack.images[1].clone());
    let apply = stack.workspace.start_apply()?;
    eventually_within(
        "the gate's alarms made and the refresh under way",
        Duration::from_secs(180),
        || async {
            let alarms = gate_alarms(&stack).await?;
            let refresh = latest_refresh(&stack).await?;
            match refresh.status() {
                Some(InstanceRefreshStatus::InProgress) if alarms.len() == 2 => Ok(()),
                other => bail!("the refresh is {other:?}, the alarms {alarms:?}"),
            }
        },
    )
    .await?;
    apply.interrupt()?;
    let interrupted = apply.finish(stack.workspace.timeout())?;
    assert!(!interrupted.success(), "{interrupted}");
    assert_no_crash(&interrupted);
    let text = interrupted
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("rolled back"), "{interrupted}");
    assert_eq!(stack.configured_version().await?, "1");
    assert!(
        gate_alarms(&stack).await?.is_empty(),
        "the gate's alarms are deleted"
    );
    Ok(())
}

#[tokio::test]
async fn knobs_unknown_at_plan_are_checked_when_known() -> Result<()> {
    let mut stack = Stack::applied().await?;
    // Values another resource gives only when applied: the plan shows them
    // as known after apply and lets them through; the apply uses them.
    stack.workspace.write_file(
        "knobs.tf",
        r#"resource "terraform_data" "knobs" {
  input = { delay = "5s", window = "120s" }
}
"#,
    )?;
    let config = gated_rollout("[50, 100]", "PLACEHOLDER", "")
        .replace("\"PLACEHOLDER\"", "terraform_data.knobs.output.delay")
        .replace(
            "\"60s\"\n      min",
            "terraform_data.knobs.output.window\n      min",
        );
    stack.workspace.write_file("rollout_override.tf", &config)?;
    let plan = stack.workspace.plan()?;
    assert!(plan.combined().contains("known after apply"), "{plan}");
    stack.workspace.apply()?;
    assert_no_changes(&stack.workspace)?;
    stack
        .workspace
        .set_var("image_id", &stack.images[1].clone());
    stack.workspace.apply()?;
    let refresh = latest_refresh(&stack).await?;
    let preferences = refresh.preferences().context("no preferences")?;
    assert_eq!(preferences.checkpoint_delay(), Some(5));
    assert_no_changes(&stack.workspace)?;

    // A bad window known only at apply is refused there, on its attribute,
    // before any alarm or refresh is made.
    stack.workspace.write_file(
        "knobs.tf",
        r#"resource "terraform_data" "knobs" {
  input = { delay = "5s", window = "90s" }
}
"#,
    )?;
    stack
        .workspace
        .set_var("image_id", &stack.images[2].clone());
    let failed = stack.workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    assert!(
        failed.combined().contains("Invalid gate window"),
        "{failed}"
    );
    assert_eq!(
        latest_refresh(&stack).await?.instance_refresh_id(),
        refresh.instance_refresh_id(),
        "no refresh started"
    );
    assert!(gate_alarms(&stack).await?.is_empty());
    assert_eq!(stack.configured_version().await?, "2");
    Ok(())
}
