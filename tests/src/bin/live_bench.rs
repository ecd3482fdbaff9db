//! `make bench`, live part: the live story on real machines, timed. Prints,
//! each beside its goal, a new instance's machine start → app answering on
//! its private IP and → healthy in its target group, the wall time of a
//! two-instance rollout and of a failed rollout rolled back, the failed
//! requests the load saw in each and in the chaos stage (an app stopped, a
//! machine killed), the gated rollouts' time from a bad build's first answer
//! to its rollback's start and the requests it answered badly, and the
//! scaling stage's failed requests; exits non-zero when a goal is missed or
//! cannot be measured. The load balancer's added latency is measured by
//! emulator/tests/bench_live_lb.py.

use std::process::ExitCode;
use std::time::Duration;

use e2e::live::cloud::missing_requirements;
use e2e::live::gate_stops::GateFigures;
use e2e::live::scaling::ScalingFigures;
use e2e::live::story::{Figures, run_measured};
use e2e::scorecard::Scorecard;

/// Machine start → the app's first 200 on its private IP: systemd's boot in
/// the container and Node.js's start.
const APP_GOAL: Duration = Duration::from_secs(2);
/// A two-instance rollout, `terraform apply` from start to end, at the
/// story's 0.1× health check time: two batches of boot, healthy threshold,
/// warm-up and deregistration delay. Measured at 14 s on a 2-core machine;
/// the goal leaves room for a loaded one and fails on a doubled wait.
const ROLLOUT_GOAL: Duration = Duration::from_secs(45);
/// The broken build's rollout, failed and rolled back (14 s measured).
const ROLLBACK_GOAL: Duration = Duration::from_secs(45);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut card = Scorecard::new();
    card.heading(
        "live stack (systemd-nspawn machines, HAProxy load balancer; health checks at 0.1x time, CloudWatch periods at 0.05x)",
    );
    let missing = missing_requirements();
    if !missing.is_empty() {
        card.unmeasured(
            "the live story's figures",
            &format!("needs {}", missing.join(", ")),
        );
        return card.exit_code();
    }
    match run_measured(true).await {
        Ok(figures) => score(&figures, &mut card),
        Err(error) => {
            eprintln!("live bench failed: {error:#}");
            card.unmeasured("the live story's figures", "the story failed");
        }
    }
    card.exit_code()
}

fn score(figures: &Figures, card: &mut Scorecard) {
    let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    match figures.launch {
        Some(launch) => {
            card.goal(
                "machine start → app answers on its private IP",
                &secs(launch.to_app),
                &format!("≤ {}", secs(APP_GOAL)),
                launch.to_app <= APP_GOAL,
            );
            let healthy_goal = APP_GOAL + launch.health_checks;
            card.goal(
                "machine start → healthy in its target group",
                &secs(launch.to_healthy),
                &format!("≤ {} (2 s + threshold × interval)", secs(healthy_goal)),
                launch.to_healthy <= healthy_goal,
            );
        }
        None => card.unmeasured("machine start → app answers", "not measured by the story"),
    }
    card.goal(
        "two-instance rollout (terraform apply)",
        &secs(figures.rollout),
        &format!("≤ {}", secs(ROLLOUT_GOAL)),
        figures.rollout <= ROLLOUT_GOAL,
    );
    card.goal(
        "failed requests during the rollout",
        &format!("{}/{}", figures.rollout_failed, figures.rollout_requests),
        "0",
        figures.rollout_failed == 0 && figures.rollout_requests > 0,
    );
    card.goal(
        "failed rollout rolled back (terraform apply)",
        &secs(figures.rollback),
        &format!("≤ {}", secs(ROLLBACK_GOAL)),
        figures.rollback <= ROLLBACK_GOAL,
    );
    card.goal(
        "failed requests during the rollback",
        &format!("{}/{}", figures.rollback_failed, figures.rollback_requests),
        "0",
        figures.rollback_failed == 0 && figures.rollback_requests > 0,
    );
    match figures.chaos {
        Some(chaos) => card.goal(
            "failed requests, app stopped + machine killed (chaos)",
            &format!("{}/{}", chaos.failed, chaos.requests),
            &format!("≤ {} (in flight before detection)", chaos.bound),
            chaos.failed <= chaos.bound && chaos.requests > 0,
        ),
        None => card.unmeasured("failed requests during chaos", "the stage did not run"),
    }
    let gates = [
        (
            "gate, 1 page in 5 is a 500",
            "failed requests",
            &figures.gate_errors,
        ),
        (
            "gate, 400 ms late",
            "answers over 250 ms",
            &figures.gate_latency,
        ),
    ];
    for (build, bad_are, gate) in gates {
        match gate {
            Some(gate) => score_gate(build, bad_are, gate, card),
            None => card.unmeasured(
                &format!("{build} stopped by the gate"),
                "the stage did not run",
            ),
        }
    }
    match &figures.scaling {
        Some(scaling) => score_scaling(scaling, card),
        None => card.unmeasured("scaling 10 → 80 requests/s", "the stage did not run"),
    }
}

/// A bad build stopped by the gate: how soon its rollback began, and what
/// it answered badly meanwhile.
fn score_gate(build: &str, bad_are: &str, gate: &GateFigures, card: &mut Scorecard) {
    let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    card.goal(
        &format!("{build}: first answer → rollback start"),
        &secs(gate.to_rollback),
        &format!("≤ {} (the gate's detection)", secs(gate.detection)),
        gate.to_rollback <= gate.detection,
    );
    card.goal(
        &format!("{build}: {bad_are}"),
        &format!("{}/{}", gate.bad, gate.requests),
        &format!("≤ {} (the gate's bound)", gate.bound),
        gate.bad <= gate.bound && gate.requests > 0,
    );
}

fn score_scaling(scaling: &ScalingFigures, card: &mut Scorecard) {
    card.goal(
        "failed requests, load 10 → 80/s, scaled out and in",
        &format!("{}/{}", scaling.failed, scaling.requests),
        "0",
        scaling.failed == 0 && scaling.requests > 0,
    );
    card.goal(
        "machines in service at the load's peak",
        &scaling.peak.to_string(),
        "≥ 4",
        scaling.peak >= 4,
    );
    card.context(
        "ramp start → 4 in service; its end → back to 2",
        &format!(
            "{:.0} s; {:.0} s",
            scaling.scale_out.as_secs_f64(),
            scaling.scale_in.as_secs_f64()
        ),
    );
}
