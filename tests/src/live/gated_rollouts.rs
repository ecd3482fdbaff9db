//! Rollouts gated on real traffic, on the live stack: the example stack's
//! rollout gets checkpoints and a gate ([`super::gated_stack`]), whose
//! CloudWatch alarms the provider makes around each rollout from the live
//! load balancer's metrics. Here a good build passes each checkpoint under
//! 40 requests/s, the apply showing the gate's figures; the helpers every
//! gated rollout uses are here too. Bad builds stopped by the gate:
//! [`super::gate_stops`].
//!
//! CloudWatch periods run at [`METRIC_TIME_SCALE`] of their length (a
//! 60-second window lasts 3 s) and the refresh waits its checkpoint delay
//! and instance warmup in real seconds; both are the emulator's timing knobs.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::json;

use super::gate_bound::Detection;
use super::gated_stack::{GateSettings, OVERRIDE_FILE};
use super::health_gated::runs_image;
use super::load::{Load, Tally};
use super::refresh_watch::{self, Timeline};
use super::story::{GROUP, LOAD_LIMIT, Live, RATE, bake_next, check_load, show_load};
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
/// The provider's log level during gated applies: its progress lines are
/// logged at INFO.
const PROVIDER_LOG: &str = "INFO";

/// The gate is ready, or a piece it needs is missing.
pub(super) enum Ready {
    Gate(GateSettings, Detection),
    Missing(String),
}

/// A stage that cannot run says why, loudly, and passes.
pub(super) fn skipped(why: &str) -> String {
    let line = format!("SKIPPED: {why}");
    println!("\n!!!!!!!!!! {line} !!!!!!!!!!");
    line
}

/// Shortens CloudWatch's periods, makes the refresh wait its delays, and
/// writes the gated stack (once); says what is missing when the emulator or
/// the provider cannot do it yet.
pub(super) fn prepare(live: &mut Live) -> Result<Ready> {
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
pub(super) fn progress_lines(output: &str) -> Vec<String> {
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
pub(super) fn without_logs(text: &str) -> String {
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

/// Rolls `live`'s stack to a new image under load, watching the refresh.
/// Returns the apply's output (whether it succeeded or not), the load and
/// the refresh's timeline.
pub(super) fn gated_apply(
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
pub(super) fn show_timeline(timeline: &Timeline, tally: &Tally) {
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
