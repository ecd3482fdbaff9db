//! The group scales with its load, on the live stack: a target tracking
//! policy on `ALBRequestCountPerTarget` (its resource label derived from the
//! target group and its load balancer) and the group's `desired_capacity`
//! left out, so the policy alone sets it. The load ramps from 10 to 80
//! requests/s; the policy's high alarm scales the group out to at least four
//! real machines; then the ramp stops (a trickle goes on, so the scale-in is
//! seen by real requests), the low alarm scales it back to its minimum, and
//! no request fails.
//!
//! The alarms' periods, the cooldown and the warmup run at the gate stages'
//! metric time scale (a 60-second period lasts 3 s); every wait is bounded.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::json;

use super::fleet::{Fleet, HealthChecks, health_checks, look};
use super::gated_rollouts::{METRIC_TIME_SCALE, skipped};
use super::load::{Load, Tally};
use super::story::{GROUP, LOAD_LIMIT, Live, show_load_summary};
use crate::demo::report::{self, diagnostics};

/// The ramp: from this many requests/s, up by a step every [`RAMP_STEP`].
const RAMP_FROM: u32 = 10;
const RAMP_TO: u32 = 80;
const RAMP_BY: u32 = 10;
const RAMP_STEP: Duration = Duration::from_secs(3);
/// What goes on once the ramp stops.
const TRICKLE: u32 = 4;
/// The policy's target: requests per instance per period. At 80 requests/s a
/// 3-second period counts 240 requests: five instances' worth.
const TARGET: u32 = 50;
/// The machines the group must reach, and the most it may have.
const SCALED_OUT: usize = 4;
const MAX_SIZE: u32 = 6;
/// Clients of the load: 80 requests/s on keep-alive connections.
const CLIENTS: usize = 8;
/// Bounds on the waits for the group to scale out and back in.
const SCALE_OUT_LIMIT: Duration = Duration::from_secs(5 * 60);
const SCALE_IN_LIMIT: Duration = Duration::from_secs(10 * 60);
/// How often the fleet is looked at.
const LOOK: Duration = Duration::from_millis(500);

/// The files Terraform reads beside `terraform/`.
const POLICY_FILE: &str = "scaling.tf";
const GROUP_OVERRIDE_FILE: &str = "scaling_override.tf";

/// What `make bench` reports of the scaling stage.
#[derive(Debug, Clone, Default)]
pub struct ScalingFigures {
    pub requests: usize,
    pub failed: usize,
    /// The most instances in service at once.
    pub peak: usize,
    /// The ramp's start → [`SCALED_OUT`] instances in service.
    pub scale_out: Duration,
    /// The ramp's end → back to the minimum.
    pub scale_in: Duration,
}

fn policy_file() -> String {
    format!(
        r#"# Scale on load: Auto Scaling keeps the requests each instance gets near
# the target, adding machines when the load rises and removing them when
# it falls.
resource "roundrobin_autoscaling_policy" "requests" {{
  autoscaling_group_name    = roundrobin_autoscaling_group.app.name
  name                      = "requests-per-instance"
  predefined_metric         = "ALBRequestCountPerTarget"
  target_group_arn          = roundrobin_lb_target_group.app.arn
  target_value              = {TARGET}
  estimated_instance_warmup = 60
}}
"#
    )
}

fn group_override_file() -> String {
    format!(
        r#"# With a scaling policy the group's desired capacity is left out, so
# that an apply never sets it back and fights the policy.
resource "roundrobin_autoscaling_group" "app" {{
  desired_capacity = null
  max_size         = {MAX_SIZE}
}}
"#
    )
}

/// One look at the fleet during the stage, on the load's clock.
struct Look {
    at: Duration,
    serving: usize,
    desired: usize,
}

/// The stage: returns its figures (`None` when a piece is missing) and its summary.
pub(super) async fn run(live: &mut Live) -> Result<(Option<ScalingFigures>, String)> {
    let timing = live.cloud.moto.control("GET", "timing", json!({}))?;
    if timing["timing"].get("metric_time_scale").is_none() {
        return Ok((
            None,
            skipped("the emulator has no metric_time_scale timing knob"),
        ));
    }
    live.cloud.moto.control(
        "POST",
        "timing",
        json!({"metric_time_scale": METRIC_TIME_SCALE, "instance_warmup_honored": true}),
    )?;
    let policy = policy_file();
    live.workspace.write_file(POLICY_FILE, &policy)?;
    live.workspace
        .write_file(GROUP_OVERRIDE_FILE, &group_override_file())?;
    let validated = live.workspace.run(&["validate", "-no-color"])?;
    if !validated.success() {
        for file in [POLICY_FILE, GROUP_OVERRIDE_FILE] {
            let path = live.workspace.path().join(file);
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
        let why = diagnostics(&validated.combined()).join(" ");
        return Ok((
            None,
            skipped(&format!("the provider has no scaling policy yet: {why}")),
        ));
    }
    report::command(&format!("cat {POLICY_FILE} {GROUP_OVERRIDE_FILE}"));
    report::output(policy.lines().chain(group_override_file().lines()));
    let running = live.running.ami_id.clone();
    live.workspace.set_var("image_id", &running);
    report::command(&format!(
        "terraform apply -auto-approve -var image_id={running}"
    ));
    live.workspace.apply()?;
    show_policy(live).await?;

    let checks = health_checks(&live.cloud, &live.sdk, GROUP).await?;
    let before = look(&live.sdk, GROUP, &checks).await?;
    let minimum = before.desired;
    report::output([format!("before: {}", before.line())]);
    report::command(&format!(
        "load: {RAMP_FROM} → {RAMP_TO} requests/s, +{RAMP_BY} every {} s, then {TRICKLE}/s",
        RAMP_STEP.as_secs()
    ));
    let load = Load::with_clients(live.port, RAMP_FROM, CLIENTS, LOAD_LIMIT);
    let watched = watch(live, &checks, &load, minimum).await;
    let tally = load.finish();
    let (looks, scale_out, ramp_end, scale_in) = watched?;
    show_load_summary(&tally);
    report::output(table(&tally, &looks));
    let failed = tally.failures().len();
    let peak = looks.iter().map(|l| l.serving).max().unwrap_or(0);
    ensure!(
        failed == 0,
        "failed requests while the group scaled: {:?}",
        tally.failures()
    );
    ensure!(
        peak >= SCALED_OUT,
        "the group should have scaled out to {SCALED_OUT} machines, at most {peak}"
    );
    let after = look(&live.sdk, GROUP, &checks).await?;
    ensure!(
        after.members.len() == minimum && after.serving().len() == minimum,
        "the group should be back to {minimum}: {}",
        after.line()
    );
    let figures = ScalingFigures {
        requests: tally.total(),
        failed,
        peak,
        scale_out,
        scale_in: scale_in.saturating_sub(ramp_end),
    };
    let summary = format!(
        "{peak} machines at the peak ({SCALED_OUT} in service {:.0} s into the ramp), back to {minimum} {:.0} s after it stopped; {} requests, 0 failed",
        figures.scale_out.as_secs_f64(),
        figures.scale_in.as_secs_f64(),
        tally.total()
    );
    Ok((Some(figures), summary))
}

/// The policy and the alarms Auto Scaling made for it.
async fn show_policy(live: &Live) -> Result<()> {
    let policies = live
        .sdk
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(GROUP)
        .send()
        .await
        .context("DescribePolicies")?;
    for policy in policies.scaling_policies() {
        let target = policy
            .target_tracking_configuration()
            .and_then(|t| t.target_value())
            .unwrap_or_default();
        report::output([format!(
            "policy {} ({}), target {target}",
            policy.policy_name().unwrap_or("?"),
            policy.policy_type().unwrap_or("?"),
        )]);
        report::output(
            policy
                .alarms()
                .iter()
                .map(|a| format!("  alarm {}", a.alarm_name().unwrap_or("?"))),
        );
    }
    Ok(())
}

/// Ramps the load while looking at the fleet: the whole ramp, held a step at
/// its top, until [`SCALED_OUT`] serve; then the trickle until the group is
/// back to `minimum`. Returns the looks and,
/// on the load's clock, when the group had scaled out, when the ramp ended
/// and when the group was back.
async fn watch(
    live: &Live,
    checks: &HealthChecks,
    load: &Load,
    minimum: usize,
) -> Result<(Vec<Look>, Duration, Duration, Duration)> {
    let mut looks = Vec::new();
    let mut rate = RAMP_FROM;
    let mut last_step = Instant::now();
    let mut top_since: Option<Instant> = None;
    let mut scaled_at: Option<Duration> = None;
    let began = Instant::now();
    // The whole ramp, a step at its top, and the group scaled out.
    let scale_out = loop {
        let fleet = look(&live.sdk, GROUP, checks).await?;
        if record(&mut looks, load, &fleet) >= SCALED_OUT && scaled_at.is_none() {
            scaled_at = Some(load.elapsed());
        }
        let held = top_since.is_some_and(|top| top.elapsed() >= RAMP_STEP);
        if let Some(at) = scaled_at
            && held
        {
            break at;
        }
        if rate < RAMP_TO && last_step.elapsed() >= RAMP_STEP {
            rate = (rate + RAMP_BY).min(RAMP_TO);
            load.set_rate(rate);
            last_step = Instant::now();
            if rate == RAMP_TO {
                top_since = Some(last_step);
            }
        }
        if began.elapsed() > SCALE_OUT_LIMIT {
            bail!(
                "the group did not scale out to {SCALED_OUT} within {} s: {}",
                SCALE_OUT_LIMIT.as_secs(),
                fleet.line()
            );
        }
        tokio::time::sleep(LOOK).await;
    };
    load.set_rate(TRICKLE);
    let ramp_end = load.elapsed();
    let stopped = Instant::now();
    let back = loop {
        let fleet = look(&live.sdk, GROUP, checks).await?;
        record(&mut looks, load, &fleet);
        if fleet.desired == minimum
            && fleet.members.len() == minimum
            && fleet.serving().len() == minimum
        {
            break load.elapsed();
        }
        if stopped.elapsed() > SCALE_IN_LIMIT {
            bail!(
                "the group did not scale back in to {minimum} within {} s: {}",
                SCALE_IN_LIMIT.as_secs(),
                fleet.line()
            );
        }
        tokio::time::sleep(LOOK).await;
    };
    Ok((looks, scale_out, ramp_end, back))
}

fn record(looks: &mut Vec<Look>, load: &Load, fleet: &Fleet) -> usize {
    let serving = fleet.serving().len();
    looks.push(Look {
        at: load.elapsed(),
        serving,
        desired: fleet.desired,
    });
    serving
}

/// The per-second table, one row every 3 s and wherever the fleet changed:
/// the rate asked, the answers and failures, machines in service and desired.
fn table(tally: &Tally, looks: &[Look]) -> Vec<String> {
    let per_second = tally.per_second();
    let mut fleet_at: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for l in looks {
        fleet_at.insert(l.at.as_secs(), (l.serving, l.desired));
    }
    let last = tally.elapsed.as_secs();
    let mut rows = Vec::new();
    let mut shown: Option<(usize, usize)> = None;
    let mut known = (0, 0);
    for second in 0..=last {
        if let Some(f) = fleet_at.get(&second) {
            known = *f;
        }
        let counts = per_second.get(&second);
        let answered: usize = counts.map_or(0, |c| c.values().sum());
        let failed = counts.and_then(|c| c.get("failed")).copied().unwrap_or(0);
        let asked = tally
            .rate_asked_at(Duration::from_secs(second))
            .unwrap_or_default();
        if second % 3 == 0 || shown != Some(known) || failed > 0 {
            rows.push(format!(
                "t+{second:>3}s  asked {asked:>2}/s  sent {answered:>3}  failed {failed}  in service {}  desired {}",
                known.0, known.1
            ));
            shown = Some(known);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_files_hold_the_policy_and_leave_desired_capacity_out() {
        let policy = policy_file();
        assert!(policy.contains("predefined_metric         = \"ALBRequestCountPerTarget\""));
        assert!(policy.contains("target_group_arn          = roundrobin_lb_target_group.app.arn"));
        assert!(group_override_file().contains("desired_capacity = null"));
    }
}
