//! The live story, on real machines: baker bakes v1 from the base image
//! (its SendCommand runs inside the builder machine), `terraform apply` of
//! `terraform/` boots two machines behind a load balancer that really
//! balances, v2 rolls out under load with no failed request, a genuinely
//! broken v3 fails its health checks and is rolled back (still no failed
//! request), chaos (an app stopped, a machine killed) heals with only the
//! requests in flight to the dead targets failed, and destroy leaves no
//! machine behind. `make demo-live` tells it;
//! the `live` test checks it.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::broken_app::loopback_only_copy;
use super::chaos::ChaosFigures;
use super::cloud::LiveCloud;
use super::launch::{LaunchTimes, launch_times};
use super::load::{Load, Outcome, Tally, fetch};
use crate::demo::baker::{Baked, Baker, head_commit};
use crate::demo::cloud::Cloud;
use crate::demo::report::{self, diagnostics, short};
use crate::demo::{profile_dir, repo_root};
use crate::{Workspace, example_dir};

pub const STAGES: usize = 7;
const GROUP: &str = "nodeapp";
/// Requests per second the load generator's clients (`load::CLIENTS`, each on
/// a keep-alive connection) send together during rollouts.
const RATE: u32 = 40;
/// A bound on the load generator if nothing stopped it: 30 minutes' worth.
const LOAD_LIMIT: usize = 40 * 60 * 30;
/// The p99 latency the load may see during a rollout. A correctness bound, not
/// a speed goal: the app answers in about a millisecond and the load balancer
/// adds less, so on a busy two-core host a healthy rollout stays far below it,
/// while a request stuck on a target that went away (a drain done in the
/// wrong order, a connection that hangs until a timeout) takes seconds and
/// breaks it even when it does not fail outright.
const P99_BOUND: Duration = Duration::from_secs(1);
/// One bake on a real machine: boot, provision, power off, copy the disk.
const BAKE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// One terraform command that boots or rolls machines.
const APPLY_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Runs one of this story's stages (see [`report::stage`]).
async fn stage<T>(
    number: usize,
    title: &str,
    work: impl Future<Output = Result<(T, String)>>,
) -> Result<T> {
    report::stage(number, STAGES, title, work).await
}

/// Everything the stages share.
struct Live {
    cloud: LiveCloud,
    sdk: Cloud,
    baker: Baker,
    workspace: Workspace,
    port: u16,
    figures: Figures,
}

/// What `make bench` reports of the live story.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// A new instance's machine start → its app answers, → healthy in its
    /// target group (measured only when asked: it scales the group out and back).
    pub launch: Option<LaunchTimes>,
    /// `terraform apply` of v2 (a two-instance rollout), and what the load saw.
    pub rollout: Duration,
    pub rollout_requests: usize,
    pub rollout_failed: usize,
    /// `terraform apply` of the broken v3, rolled back, and what the load saw.
    pub rollback: Duration,
    pub rollback_requests: usize,
    pub rollback_failed: usize,
    /// The chaos stage's failed requests and their bound.
    pub chaos: Option<ChaosFigures>,
}

/// Runs the whole story.
pub async fn run() -> Result<()> {
    run_measured(false).await.map(drop)
}

/// Runs the whole story and returns its figures; `measure_launch` adds the
/// launch → healthy measurement after the first deploy.
pub async fn run_measured(measure_launch: bool) -> Result<Figures> {
    let title = "start the live cloud (machines + load balancers)";
    let cloud = stage(1, title, start()).await?;
    let title = "bake v1 on a real builder machine";
    let (mut live, v1) = stage(2, title, bake_first(cloud)).await?;
    let title = "terraform apply: two machines behind the load balancer";
    stage(3, title, deploy(&mut live, &v1)).await?;
    if measure_launch {
        measure_launch_to_healthy(&mut live).await?;
    }
    let title = "bake v2 and roll it out under load";
    let v2 = stage(4, title, roll_out(&mut live)).await?;
    let title = "a broken v3 fails its health checks and is rolled back";
    stage(5, title, broken(&mut live, &v2)).await?;
    let title = "chaos: the app stopped on one machine, another killed; the group heals";
    let chaos = super::chaos::run(&live.cloud, &live.sdk, live.port, GROUP);
    live.figures.chaos = Some(stage(6, title, chaos).await?);
    let title = "terraform destroy: no machine left";
    let scope = stage(7, title, destroy(&live)).await?;
    let Live { cloud, figures, .. } = live;
    drop(cloud); // stops the emulator (SIGTERM: it removes what it made)
    super::host_leftovers::after_stop(&scope)?;
    Ok(figures)
}

/// One more instance, timed until it answers and is healthy; then back to
/// two in service.
async fn measure_launch_to_healthy(live: &mut Live) -> Result<()> {
    live.figures.launch = Some(launch_times(&live.cloud, &live.sdk, GROUP).await?);
    let settled = Instant::now();
    while live.sdk.group(GROUP).await?.members.len() != 2 && settled.elapsed() < APPLY_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn start() -> Result<(LiveCloud, String)> {
    report::command("python3 -m emulator --machines nspawn --health-check-time-scale 0.1");
    let cloud = LiveCloud::start()?;
    let summary = format!(
        "live emulator on {}; base image {} (Debian bookworm rootfs)",
        cloud.moto.endpoint(),
        cloud.base_image
    );
    Ok((cloud, summary))
}

async fn bake_first(cloud: LiveCloud) -> Result<((Live, Baked), String)> {
    let root = repo_root();
    let mut baker = Baker::with(
        profile_dir()?.join("baker"),
        root.join("baker.toml"),
        head_commit(&root),
        &cloud.moto.endpoint(),
        &cloud.base_image,
    )?;
    baker.set_timeout(BAKE_TIMEOUT);
    let v1 = bake(&mut baker, 1)?;
    let mut workspace = Workspace::new(&cloud.moto)?;
    workspace.set_timeout(APPLY_TIMEOUT);
    workspace.copy_config_from(&example_dir())?;
    let sdk = Cloud::connect(&cloud.moto).await;
    let summary = format!("{} baked from the builder machine's disk", v1.ami_id);
    let live = Live {
        cloud,
        sdk,
        baker,
        workspace,
        port: 0,
        figures: Figures::default(),
    };
    Ok(((live, v1), summary))
}

fn bake(baker: &mut Baker, build: u32) -> Result<Baked> {
    report::command(&baker.command_line(build));
    let baked = baker.build(build)?;
    report::output(
        baked
            .progress
            .iter()
            .filter(|l| l.contains("step") || l.contains("ami-"))
            .take(16),
    );
    Ok(baked)
}

async fn deploy(live: &mut Live, v1: &Baked) -> Result<((), String)> {
    report::command("terraform apply -auto-approve");
    live.workspace.apply()?;
    let outputs = live.workspace.output_json()?;
    let url = outputs["alb_url"]["value"]
        .as_str()
        .context("no alb_url output")?;
    let dns = url.trim_start_matches("http://").trim_end_matches('/');
    live.port = live.cloud.load_balancer_port(dns)?;
    report::output([format!(
        "alb_url {url} is served on http://127.0.0.1:{}",
        live.port
    )]);
    report::command(&format!(
        "for i in $(seq 10); do curl -s http://127.0.0.1:{}/; done",
        live.port
    ));
    let mut pages = Vec::new();
    for _ in 0..10 {
        match fetch(live.port, Duration::from_secs(10)) {
            Outcome::Served(page) => pages.push(page),
            other => anyhow::bail!("the load balancer answered {other:?}"),
        }
    }
    report::output(pages.iter().map(|p| p.line()));
    let hosts: std::collections::BTreeSet<&str> = pages.iter().map(|p| p.host.as_str()).collect();
    ensure!(hosts.len() == 2, "two hosts should answer, saw {hosts:?}");
    ensure!(
        pages.windows(2).all(|w| w[0].host != w[1].host),
        "round robin alternates the hosts: {pages:?}"
    );
    ensure!(
        pages
            .iter()
            .all(|p| p.build == "1" && short(&v1.commit).starts_with(short(&p.commit))),
        "every answer is build 1 of {}: {pages:?}",
        v1.commit
    );
    let identity = super::identity::check(&live.cloud, GROUP)?;
    Ok((
        (),
        format!(
            "two machines ({}) answer in turn, build 1; {identity}",
            hosts.into_iter().collect::<Vec<_>>().join(", ")
        ),
    ))
}

fn show_load(tally: &Tally) {
    report::output([format!(
        "load: {} requests in {:.0} s ({:.1}/s) from {} keep-alive clients, {} failed, p99 {:.1} ms",
        tally.total(),
        tally.elapsed.as_secs_f64(),
        tally.rate(),
        super::load::CLIENTS,
        tally.failures().len(),
        tally.p99().unwrap_or_default().as_secs_f64() * 1000.0
    )]);
    report::output(tally.table_lines());
}

/// What every rollout's load must show: no failed request, the rate asked
/// for (within 10 %), and no request near a hang.
fn check_load(tally: &Tally, during: &str) -> Result<()> {
    ensure!(
        tally.failures().is_empty(),
        "failed requests during {during}: {:?}",
        tally.failures()
    );
    ensure!(
        tally.rate() >= f64::from(RATE) * 0.9,
        "the load generator sent only {:.1} requests/s during {during}",
        tally.rate()
    );
    let p99 = tally.p99().context("the load sent no request")?;
    ensure!(
        p99 <= P99_BOUND,
        "p99 latency {p99:?} during {during} is above {P99_BOUND:?}"
    );
    Ok(())
}

async fn roll_out(live: &mut Live) -> Result<(Baked, String)> {
    let v2 = bake(&mut live.baker, 2)?;
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
        tally.builds() == ["1", "2"],
        "answers should move from build 1 to build 2: {:?}",
        tally.builds()
    );
    let group = live.sdk.group(GROUP).await?;
    ensure!(group.runs("2", &v2.ami_id), "the group runs v2: {group}");
    Ok((
        v2,
        format!(
            "{} requests, 0 failed, p99 {:.1} ms; build 1 → build 2",
            tally.total(),
            tally.p99().unwrap_or_default().as_secs_f64() * 1000.0
        ),
    ))
}

async fn broken(live: &mut Live, v2: &Baked) -> Result<((), String)> {
    let dir = tempfile::tempdir().context("a directory for the broken app")?;
    let app = loopback_only_copy(&repo_root().join("app"), dir.path())?;
    report::output([
        "v3: app/server.js listens on 127.0.0.1 only (passes baker's check on the builder, refused on the fleet)",
    ]);
    live.baker.set("app.dir", &app.to_string_lossy());
    let v3 = bake(&mut live.baker, 3)?;
    let load = Load::start(live.port, RATE, LOAD_LIMIT);
    report::command(&format!(
        "terraform apply -auto-approve   # rolls v3 out, under {RATE} requests/s"
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
        tally.builds() == ["2"],
        "only build 2 should answer: {:?}",
        tally.builds()
    );
    let group = live.sdk.group(GROUP).await?;
    ensure!(
        group.runs("2", &v2.ami_id),
        "the group is back on v2: {group}"
    );
    Ok((
        (),
        format!(
            "{} failed its health checks; back on v2; {} requests, 0 failed",
            v3.ami_id,
            tally.total()
        ),
    ))
}

async fn destroy(live: &Live) -> Result<(super::host_leftovers::Scope, String)> {
    report::command("terraform destroy -auto-approve");
    live.workspace.destroy()?;
    let machines = live.cloud.machines()?;
    ensure!(
        machines.is_empty(),
        "machines left after destroy: {machines:?}"
    );
    let scope = super::host_leftovers::after_destroy(&live.cloud, &live.sdk).await?;
    let images = live.sdk.baked_images("nodeapp").await?;
    ensure!(images.len() == 3, "the three images stay: {images:?}");
    Ok((
        scope,
        format!(
            "no machine, overlay, namespace, veth, bridge, cgroup or HAProxy left; {} images kept",
            images.len()
        ),
    ))
}
