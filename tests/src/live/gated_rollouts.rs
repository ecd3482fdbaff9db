//! Rollouts gated on real traffic, on the live stack: the example stack's
//! rollout gets checkpoints and a gate ([`super::gated_stack`]), whose
//! CloudWatch alarms the provider makes around each rollout from the live
//! load balancer's metrics. Under 40 requests/s:
//!
//! - a good build passes each checkpoint, the apply showing the gate's figures;
//! - a build that answers `/health` but fails one page in five is stopped at
//!   the first checkpoint by the error-rate alarm and rolled back; the failed
//!   requests stay under what the gate implies ([`super::gate_bound`]);
//! - a build that answers right but 400 ms late is stopped by the latency
//!   alarm the same way, and no request fails.
//!
//! CloudWatch periods run at [`METRIC_TIME_SCALE`] of their length (a
//! 60-second window lasts 3 s) and the refresh waits its checkpoint delay
//! and instance warmup in real seconds; both are the emulator's timing knobs.

use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, ensure};
use serde_json::json;

use super::broken_app::{Breakage, FAILING_ONE_IN};
use super::gate_bound::{Detection, Exposure};
use super::gated_stack::{GateSettings, OVERRIDE_FILE};
use super::load::{Load, Tally};
use super::refresh_watch::{self, Timeline};
use super::story::{
    GROUP, LOAD_LIMIT, Live, RATE, bake_next, check_load, runs_image, show_load, show_load_summary,
};
use crate::demo::repo_root;
use crate::demo::report::{self, diagnostics};

/// CloudWatch periods last this share of their length (60 s → 3 s).
pub const METRIC_TIME_SCALE: f64 = 0.05;
/// Clients of the load during gated rollouts: enough to keep 40 requests/s
/// when half the answers take 400 ms (8 busy at once on average).
const CLIENTS: usize = 16;
/// The most a request's datapoints take to reach CloudWatch and its
/// period's evaluation to run: the live load balancer's datapoints are
/// published every 0.2 s, and the alarm is evaluated once its period has
/// settled (a tenth of it, 0.3 s) on a ticker of 0.05 s.
const PUBLICATION: Duration = Duration::from_secs(1);
/// The gate's alarms, as the provider names them for the group.
pub const ERROR_ALARM: &str = "roundrobin-gate-nodeapp-error-rate";
pub const LATENCY_ALARM: &str = "roundrobin-gate-nodeapp-latency-p99";
/// What the provider logs while it waits (shown with `TF_LOG_PROVIDER`).
const PROGRESS_MARKS: [&str; 2] = ["rollout progress", "rollout gate figures"];
/// The provider's log level during gated applies: Terraform shows a
/// provider's plain-text log lines at its DEBUG level only.
const PROVIDER_LOG: &str = "DEBUG";

/// What `make bench` reports of a bad build stopped by the gate.
#[derive(Debug, Clone, Default)]
pub struct GateFigures {
    /// The bad build's first answer → the rollback seen started.
    pub to_rollback: Duration,
    /// The gate's detection time by design, the goal of `to_rollback`.
    pub detection: Duration,
    pub requests: usize,
    /// Failed requests (the error gate) or answers slower than the
    /// threshold (the latency gate).
    pub bad: usize,
    /// Failed requests of any kind.
    pub failed: usize,
    /// The most `bad` may be, and how it was reached.
    pub bound: usize,
    pub bound_formula: String,
}

/// The gate is ready, or a piece it needs is missing.
enum Ready {
    Gate(GateSettings, Detection),
    Missing(String),
}

/// A stage that cannot run says why, loudly, and passes.
fn skipped(why: &str) -> String {
    let line = format!("SKIPPED: {why}");
    println!("\n!!!!!!!!!! {line} !!!!!!!!!!");
    line
}

/// Shortens CloudWatch's periods, makes the refresh wait its delays, and
/// writes the gated stack (once); says what is missing when the emulator or
/// the provider cannot do it yet.
fn prepare(live: &mut Live) -> Result<Ready> {
    let settings = GateSettings::story();
    let timing = live.cloud.moto.control("GET", "timing", json!({}))?;
    let timing = &timing["timing"];
    if timing.get("metric_time_scale").is_none() {
        return Ok(Ready::Missing(
            "the emulator has no metric_time_scale timing knob (CloudWatch periods on its clock)"
                .to_owned(),
        ));
    }
    let refresh_look = timing["refresh_step_seconds"]
        .as_f64()
        .context("no refresh_step_seconds in the emulator's timing")?;
    report::command(&format!(
        "curl -X POST {}/_emulator/timing -d '{{\"metric_time_scale\": {METRIC_TIME_SCALE}, \"instance_warmup_honored\": true}}'",
        live.cloud.moto.endpoint()
    ));
    live.cloud.moto.control(
        "POST",
        "timing",
        json!({"metric_time_scale": METRIC_TIME_SCALE, "instance_warmup_honored": true}),
    )?;
    if !live.gated {
        let text = settings.override_file();
        live.workspace.write_file(OVERRIDE_FILE, &text)?;
        let validated = live.workspace.run(&["validate", "-no-color"])?;
        if !validated.success() {
            let path = live.workspace.path().join(OVERRIDE_FILE);
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            let why = diagnostics(&validated.combined()).join(" ");
            return Ok(Ready::Missing(format!(
                "the provider does not take the gated rollout yet: {why}"
            )));
        }
        report::command(&format!("cat {OVERRIDE_FILE}"));
        report::output(text.lines());
        live.gated = true;
    }
    // The provider logs the checkpoint reached and the gate's figures.
    live.workspace.set_env("TF_LOG_PROVIDER", PROVIDER_LOG);
    let detection = Detection {
        window: settings.window,
        metric_time_scale: METRIC_TIME_SCALE,
        evaluation_periods: 1,
        publication: PUBLICATION,
        refresh_look: Duration::from_secs_f64(refresh_look),
    };
    Ok(Ready::Gate(settings, detection))
}

/// The provider's progress lines in an apply's output, without log prefixes.
fn progress_lines(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|line| PROGRESS_MARKS.iter().any(|mark| line.contains(mark)))
        .map(|line| {
            let start = PROGRESS_MARKS
                .iter()
                .filter_map(|mark| line.find(mark))
                .min()
                .unwrap_or(0);
            line[start..].trim().to_owned()
        })
        .collect()
}

/// `text` without Terraform's and the provider's log lines.
fn without_logs(text: &str) -> String {
    text.lines()
        .filter(|line| !is_log_line(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `2026-12-03T12:15:59.522Z [DEBUG] provider...`
fn is_log_line(line: &str) -> bool {
    let line = line.trim_start();
    let stamped = line.len() > 20 && line.as_bytes()[4] == b'-' && line.as_bytes()[10] == b'T';
    stamped
        && ["[TRACE]", "[DEBUG]", "[INFO]", "[WARN]", "[ERROR]"]
            .iter()
            .any(|level| line.contains(level))
}

/// The rows of the per-second table from `from` to `to` (seconds since the
/// load started), and every row with a failure.
fn rows_between(tally: &Tally, from: u64, to: u64) -> Vec<String> {
    tally
        .table_lines()
        .into_iter()
        .filter(|line| {
            let second = line
                .trim_start_matches("t+")
                .split('s')
                .next()
                .and_then(|s| s.trim().parse::<u64>().ok());
            line.contains("failed") || second.is_some_and(|s| (from..=to).contains(&s))
        })
        .collect()
}

/// Rolls `live`'s stack to a new image under load, watching the refresh.
/// Returns the apply's output (whether it succeeded or not), the load and
/// the refresh's timeline.
fn gated_apply(
    live: &mut Live,
    image: &str,
    expect_failure: bool,
) -> Result<(crate::Output, Tally, Timeline)> {
    live.workspace.set_var("image_id", image);
    let load = Load::with_clients(live.port, RATE, CLIENTS, LOAD_LIMIT);
    report::command(&format!(
        "TF_LOG_PROVIDER={PROVIDER_LOG} terraform apply -auto-approve -var image_id={image}   # under {RATE} requests/s"
    ));
    let workspace = &live.workspace;
    let (applied, timeline) = refresh_watch::during(&live.cloud.moto, GROUP, || {
        if expect_failure {
            workspace.apply_expecting_failure()
        } else {
            workspace.apply()
        }
    });
    let tally = load.finish();
    let applied = applied.map_err(anyhow::Error::from)?;
    Ok((applied, tally, timeline?))
}

/// The timeline's lines, on the load's clock.
fn show_timeline(timeline: &Timeline, tally: &Tally) {
    if let Some(start) = tally.started_at {
        report::output(timeline.lines(start));
    }
}

/// A good build rolled out through the gate: it passes each checkpoint.
pub(super) async fn good_build_passes(live: &mut Live) -> Result<((), String)> {
    let settings = match prepare(live)? {
        Ready::Gate(settings, _) => settings,
        Ready::Missing(why) => return Ok(((), skipped(&why))),
    };
    let before = live.running.clone();
    let good = bake_next(live, &repo_root().join("app"))?;
    let (applied, tally, timeline) = gated_apply(live, &good.ami_id, false)?;
    let progress = progress_lines(&applied.combined());
    report::output(&progress);
    show_timeline(&timeline, &tally);
    show_load(&tally);
    check_load(&tally, "the gated rollout")?;
    ensure!(
        tally.builds() == [before.build.as_str(), good.build.as_str()],
        "answers should move from build {} to build {}: {:?}",
        before.build,
        good.build,
        tally.builds()
    );
    let paused = timeline.checkpoints();
    let inner = settings.checkpoints.len().saturating_sub(1);
    ensure!(
        paused.len() >= inner,
        "the refresh should pause at each of its {inner} checkpoint(s) before the last: {:?}",
        timeline.seen
    );
    ensure!(
        progress.iter().any(|l| l.contains(PROGRESS_MARKS[1])),
        "the apply should show the gate's figures:\n{}",
        applied.combined()
    );
    let group = live.sdk.group(GROUP).await?;
    ensure!(
        runs_image(&group, &good.ami_id),
        "the group runs build {}: {group}",
        good.build
    );
    let summary = format!(
        "build {} → build {} through checkpoints {:?}, paused {} time(s); {} requests, 0 failed, p99 {:.1} ms",
        before.build,
        good.build,
        settings.checkpoints,
        paused.len(),
        tally.total(),
        tally.p99().unwrap_or_default().as_secs_f64() * 1000.0
    );
    live.running = good;
    Ok(((), summary))
}

/// What tells a bad build apart in the load, and which alarm must stop it.
struct Defect {
    breakage: Breakage,
    alarm: &'static str,
    /// The share of the build's answers that are bad.
    bad_answers: f64,
    /// What "bad" is, for the story's lines.
    bad_are: &'static str,
}

/// The bad answers of the load: failed requests, or answers over the p99 threshold.
fn bad_count(defect: &Defect, tally: &Tally, settings: &GateSettings) -> usize {
    match defect.breakage {
        Breakage::Slow => tally.slower_than(settings.max_latency_p99),
        _ => tally.failures().len(),
    }
}

/// A build that fails one page in five, stopped by the error-rate gate.
pub(super) async fn failing_build_is_stopped(
    live: &mut Live,
) -> Result<(Option<GateFigures>, String)> {
    let defect = Defect {
        breakage: Breakage::FailsOneInFive,
        alarm: ERROR_ALARM,
        bad_answers: 1.0 / f64::from(FAILING_ONE_IN),
        bad_are: "failed",
    };
    bad_build_is_stopped(live, &defect).await
}

/// A build that answers 400 ms late, stopped by the latency gate.
pub(super) async fn slow_build_is_stopped(
    live: &mut Live,
) -> Result<(Option<GateFigures>, String)> {
    let defect = Defect {
        breakage: Breakage::Slow,
        alarm: LATENCY_ALARM,
        bad_answers: 1.0,
        bad_are: "slower than the gate's p99",
    };
    bad_build_is_stopped(live, &defect).await
}

async fn bad_build_is_stopped(
    live: &mut Live,
    defect: &Defect,
) -> Result<(Option<GateFigures>, String)> {
    let (settings, detection) = match prepare(live)? {
        Ready::Gate(settings, detection) => (settings, detection),
        Ready::Missing(why) => return Ok((None, skipped(&why))),
    };
    let before = live.running.clone();
    let dir = tempfile::tempdir().context("a directory for the bad build")?;
    let app = defect.breakage.copy(&repo_root().join("app"), dir.path())?;
    report::output([format!(
        "v{}: {}",
        live.bakes + 1,
        defect.breakage.describe()
    )]);
    let bad = bake_next(live, &app)?;
    let (failed, tally, timeline) = gated_apply(live, &bad.ami_id, true)?;
    let text = failed.combined();
    report::output(progress_lines(&text));
    report::output(diagnostics(&without_logs(&text)));
    show_timeline(&timeline, &tally);
    ensure!(
        text.contains(defect.alarm),
        "the failure should name the alarm {}:\n{failed}",
        defect.alarm
    );
    ensure!(
        text.contains("rolled back"),
        "the apply should report the rollback:\n{failed}"
    );

    // Stopped at the first checkpoint: never further before the rollback.
    let first = settings.checkpoints.first().copied().unwrap_or(100);
    let rollback_at = timeline.rollback_seen().with_context(|| {
        format!(
            "the refresh was never seen rolling back: {:?}",
            timeline.seen
        )
    })?;
    let went_on = timeline
        .seen
        .iter()
        .filter(|s| s.at < rollback_at)
        .find(|s| {
            s.percentage > i32::try_from(first).unwrap_or(100)
                || s.reason.starts_with("Checkpoint 2")
        });
    ensure!(
        went_on.is_none(),
        "the refresh went past its first checkpoint ({first} %) before the rollback: {went_on:?}"
    );

    // What the bad build served, and when.
    let builds = tally.builds();
    ensure!(
        builds.iter().all(|b| *b == before.build || *b == bad.build),
        "only builds {} and {} should answer: {builds:?}",
        before.build,
        bad.build
    );
    let (first_answer, last_answer) = tally.span_of(&bad.build).with_context(|| {
        format!(
            "build {} never answered: the gate had nothing to judge",
            bad.build
        )
    })?;
    let wall = |at: Duration| tally.wall_clock(at).unwrap_or(SystemTime::UNIX_EPOCH);
    let to_rollback = rollback_at
        .duration_since(wall(first_answer))
        .unwrap_or_default();
    let removal = wall(last_answer)
        .duration_since(rollback_at)
        .unwrap_or_default();
    let exposure = Exposure {
        rate: RATE,
        share: settings.first_share(),
        bad_answers: defect.bad_answers,
        detection,
        removal,
    };
    let bad_seen = bad_count(defect, &tally, &settings);
    let failures = tally.failures();
    show_load_summary(&tally);
    let from = first_answer.as_secs().saturating_sub(2);
    report::output(rows_between(&tally, from, last_answer.as_secs() + 2));
    report::output([
        format!(
            "build {} took traffic from t+{:.1}s to t+{:.1}s; rollback seen {:.1} s after its first answer (the gate's detection by design: {})",
            bad.build,
            first_answer.as_secs_f64(),
            last_answer.as_secs_f64(),
            to_rollback.as_secs_f64(),
            detection.formula()
        ),
        format!(
            "{bad_seen} of {} requests {} (bound {})",
            tally.total(),
            defect.bad_are,
            exposure.formula()
        ),
    ]);
    ensure!(
        bad_seen > 0,
        "build {} should have answered some requests badly (the gate judged real traffic)",
        bad.build
    );
    ensure!(
        bad_seen <= exposure.bound(),
        "{bad_seen} requests {}, more than the gate lets through: {}",
        defect.bad_are,
        exposure.formula()
    );
    match defect.breakage {
        Breakage::Slow => ensure!(
            failures.is_empty(),
            "a slow build fails no request: {failures:?}"
        ),
        _ => ensure!(
            failures.iter().all(|(_, reason)| reason == "HTTP 500"),
            "only the build's own 500s may fail: {failures:?}"
        ),
    }
    let group = live.sdk.group(GROUP).await?;
    ensure!(
        runs_image(&group, &before.ami_id),
        "the group is back on build {}: {group}",
        before.build
    );
    // The next rollouts start from the build the group runs.
    live.workspace.set_var("image_id", &before.ami_id);
    let figures = GateFigures {
        to_rollback,
        detection: detection.time(),
        requests: tally.total(),
        bad: bad_seen,
        failed: failures.len(),
        bound: exposure.bound(),
        bound_formula: exposure.formula(),
    };
    let summary = format!(
        "{} stopped by {} at the first checkpoint, back on build {}; rollback {:.1} s after its first answer; {bad_seen} of {} requests {} (≤ {})",
        bad.ami_id,
        defect.alarm,
        before.build,
        to_rollback.as_secs_f64(),
        tally.total(),
        defect.bad_are,
        exposure.bound()
    );
    Ok((Some(figures), summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_providers_progress_lines_are_found_without_their_log_prefix() {
        let output = "roundrobin_autoscaling_group.app: Modifying...\n2026-12-03T12:00:00.000Z [INFO]  provider.terraform-provider-roundrobin: rollout gate figures: figures=\"error rate 0.000\"\nother\n";
        assert_eq!(
            progress_lines(output),
            ["rollout gate figures: figures=\"error rate 0.000\""]
        );
        assert_eq!(
            without_logs(output),
            "roundrobin_autoscaling_group.app: Modifying...\nother"
        );
    }
}
