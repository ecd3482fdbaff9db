//! Bad builds stopped by the gate, under 40 requests/s: a build that answers
//! `/health` but fails one page in five is stopped at the first checkpoint
//! by the error-rate alarm and rolled back, and one that answers right but
//! 400 ms late is stopped by the latency alarm the same way. Each stage
//! prints the requests the build answered badly beside the bound the gate
//! implies ([`super::gate_bound`]) and asserts it, and measures the time from
//! the build's first answer to the rollback's start (for `make bench`).

use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, ensure};

use super::broken_app::{Breakage, FAILING_ONE_IN};
use super::gate_bound::Exposure;
use super::gated_rollouts::{
    ERROR_ALARM, LATENCY_ALARM, Ready, gated_apply, prepare, progress_lines, show_timeline,
    skipped, without_logs,
};
use super::gated_stack::GateSettings;
use super::health_gated::runs_image;
use super::load::Tally;
use super::story::{GROUP, Live, RATE, bake_next, show_load_summary};
use crate::demo::repo_root;
use crate::demo::report::{self, diagnostics};

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
