//! Rollouts gated by health checks alone, under 40 requests/s: v2 rolls out
//! with no failed request, and a genuinely broken build (its server bound to
//! 127.0.0.1 only) fails its health checks and is rolled back, still with
//! no failed request.

use std::time::Instant;

use anyhow::{Context, Result, ensure};

use super::broken_app::{Breakage, loopback_only_copy};
use super::load::Load;
use super::story::{GROUP, LOAD_LIMIT, Live, RATE, bake_next, check_load, show_load};
use crate::demo::repo_root;
use crate::demo::report::{self, diagnostics};

pub(super) async fn roll_out(live: &mut Live) -> Result<((), String)> {
    let before = live.running.clone();
    let v2 = bake_next(live, &repo_root().join("app"))?;
    let load = Load::start(live.port, RATE, LOAD_LIMIT);
    report::command(&format!(
        "terraform apply -auto-approve   # while {RATE} requests/s go through the load balancer"
    ));
    let started = Instant::now();
    let applied = live.workspace.apply();
    live.figures.rollout = started.elapsed();
    let tally = load.finish();
    applied?;
    live.figures.rollout_requests = tally.total();
    live.figures.rollout_failed = tally.failures().len();
    show_load(&tally);
    check_load(&tally, "the rollout")?;
    ensure!(
        tally.builds() == [before.build.as_str(), v2.build.as_str()],
        "answers should move from build {} to build {}: {:?}",
        before.build,
        v2.build,
        tally.builds()
    );
    let group = live.sdk.group(GROUP).await?;
    ensure!(runs_image(&group, &v2.ami_id), "the group runs v2: {group}");
    let summary = format!(
        "{} requests, 0 failed, p99 {:.1} ms; build {} → build {}",
        tally.total(),
        tally.p99().unwrap_or_default().as_secs_f64() * 1000.0,
        before.build,
        v2.build
    );
    live.running = v2;
    Ok(((), summary))
}

/// Whether every instance of the group (at least one) runs `image`.
pub(super) fn runs_image(group: &crate::demo::cloud::Group, image: &str) -> bool {
    !group.members.is_empty() && group.members.iter().all(|m| m.image == image)
}

pub(super) async fn broken(live: &mut Live) -> Result<((), String)> {
    let before = live.running.clone();
    let dir = tempfile::tempdir().context("a directory for the broken app")?;
    let app = loopback_only_copy(&repo_root().join("app"), dir.path())?;
    report::output([format!(
        "v{}: {}",
        live.bakes + 1,
        Breakage::LoopbackOnly.describe()
    )]);
    let v3 = bake_next(live, &app)?;
    let load = Load::start(live.port, RATE, LOAD_LIMIT);
    report::command(&format!(
        "terraform apply -auto-approve   # rolls v{} out, under {RATE} requests/s",
        v3.build
    ));
    let started = Instant::now();
    let failed = live.workspace.apply_expecting_failure();
    live.figures.rollback = started.elapsed();
    let tally = load.finish();
    let failed = failed?;
    live.figures.rollback_requests = tally.total();
    live.figures.rollback_failed = tally.failures().len();
    report::output(diagnostics(&failed.combined()));
    show_load(&tally);
    let text = failed.combined();
    ensure!(
        text.contains("rolled back"),
        "the apply should report the rollback:\n{failed}"
    );
    check_load(&tally, "the failed rollout")?;
    ensure!(
        tally.builds() == [before.build.as_str()],
        "only build {} should answer: {:?}",
        before.build,
        tally.builds()
    );
    let group = live.sdk.group(GROUP).await?;
    ensure!(
        runs_image(&group, &before.ami_id),
        "the group is back on build {}: {group}",
        before.build
    );
    Ok((
        (),
        format!(
            "{} failed its health checks; back on build {}; {} requests, 0 failed",
            v3.ami_id,
            before.build,
            tally.total()
        ),
    ))
}
