//! The live story, on real machines: baker bakes v1 from the base image
//! (its SendCommand runs inside the builder machine), `terraform apply` of
//! `terraform/` boots two machines behind a load balancer that really
//! balances, v2 rolls out under load with no failed request, a genuinely
//! broken v3 fails its health checks and is rolled back (still no failed
//! request), then the rollout is gated on real traffic ([`super::gated_rollouts`],
//! [`super::gate_stops`]):
//! a good v4 passes each checkpoint, a v5 that fails one page in five and a
//! v6 that answers 400 ms late are stopped at the first checkpoint and
//! rolled back; chaos (an app stopped, a machine killed) heals with only the
//! requests in flight to the dead targets failed, load ramps up and the group
//! scales out and back in ([`super::scaling`]), and destroy leaves no machine
//! behind. `make demo-live` tells it; the `live` test checks it. Stages can be
//! chosen with `ROUNDROBIN_LIVE_STAGES` ([`super::stages`]).

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::chaos::ChaosFigures;
use super::cloud::LiveCloud;
use super::gate_stops::GateFigures;
use super::launch::{LaunchTimes, launch_times};
use super::load::{Outcome, Tally, fetch};
use super::scaling::ScalingFigures;
use super::stages::{Optional, STAGES_ENV, Selection};
use crate::demo::baker::{Baked, Baker, head_commit};
use crate::demo::cloud::Cloud;
use crate::demo::report::{self, short};
use crate::demo::{profile_dir, repo_root};
use crate::{Workspace, example_dir};

pub(super) const GROUP: &str = "nodeapp";
/// Requests per second the load generator's clients (`load::CLIENTS`, each on
/// a keep-alive connection) send together during rollouts.
pub(super) const RATE: u32 = 40;
/// A bound on the load generator if nothing stopped it: 30 minutes' worth.
pub(super) const LOAD_LIMIT: usize = 40 * 60 * 30;
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

/// Numbers the stages of one run as they run (see [`report::stage`]).
struct Numbering {
    done: usize,
    total: usize,
}

impl Numbering {
    async fn stage<T>(
        &mut self,
        title: &str,
        work: impl Future<Output = Result<(T, String)>>,
    ) -> Result<T> {
        self.done += 1;
        report::stage(self.done, self.total, title, work).await
    }
}

/// Everything the stages share.
pub(super) struct Live {
    pub(super) cloud: LiveCloud,
    pub(super) sdk: Cloud,
    pub(super) baker: Baker,
    pub(super) workspace: Workspace,
    pub(super) port: u16,
    pub(super) figures: Figures,
    /// The build the group runs now.
    pub(super) running: Baked,
    /// How many images were baked.
    pub(super) bakes: usize,
    /// Whether the stack's rollout is gated (`gated_stack::OVERRIDE_FILE` written).
    pub(super) gated: bool,
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
    /// The builds stopped by the gate: a 500 in five, and 400 ms late.
    pub gate_errors: Option<GateFigures>,
    pub gate_latency: Option<GateFigures>,
    /// The load ramp and the group's scaling.
    pub scaling: Option<ScalingFigures>,
}

/// Runs the whole story.
pub async fn run() -> Result<()> {
    run_measured(false).await.map(drop)
}

/// Runs the whole story (the stages `ROUNDROBIN_LIVE_STAGES` chooses) and
/// returns its figures; `measure_launch` adds the launch → healthy
/// measurement after the first deploy.
pub async fn run_measured(measure_launch: bool) -> Result<Figures> {
    let selection = Selection::from_env()?;
    let left_out = selection.left_out();
    if !left_out.is_empty() {
        println!(
            "\n!!!!!!!!!! live story: stages left out ({STAGES_ENV}): {} !!!!!!!!!!",
            left_out.join(", ")
        );
    }
    let mut stages = Numbering {
        done: 0,
        total: selection.total(),
    };
    let title = "start the live cloud (machines + load balancers)";
    let cloud = stages.stage(title, start()).await?;
    let title = "bake v1 on a real builder machine";
    let mut live = stages.stage(title, bake_first(cloud)).await?;
    let title = "terraform apply: two machines behind the load balancer";
    stages.stage(title, deploy(&mut live)).await?;
    if measure_launch {
        measure_launch_to_healthy(&mut live).await?;
    }
    if selection.runs(Optional::Rollout) {
        let title = "bake v2 and roll it out under load";
        stages
            .stage(title, super::health_gated::roll_out(&mut live))
            .await?;
    }
    if selection.runs(Optional::Broken) {
        let title = "a broken build fails its health checks and is rolled back";
        stages
            .stage(title, super::health_gated::broken(&mut live))
            .await?;
    }
    if selection.runs(Optional::GatePasses) {
        let title = "the rollout gated on real traffic: a good build passes each checkpoint";
        let work = super::gated_rollouts::good_build_passes(&mut live);
        stages.stage(title, work).await?;
    }
    if selection.runs(Optional::GateErrors) {
        let title = "a build that fails one page in five is stopped at the first checkpoint";
        let work = super::gate_stops::failing_build_is_stopped(&mut live);
        live.figures.gate_errors = stages.stage(title, work).await?;
    }
    if selection.runs(Optional::GateLatency) {
        let title = "a build that answers 400 ms late is stopped by the latency gate";
        let work = super::gate_stops::slow_build_is_stopped(&mut live);
        live.figures.gate_latency = stages.stage(title, work).await?;
    }
    if selection.runs(Optional::Chaos) {
        let title = "chaos: the app stopped on one machine, another killed; the group heals";
        let chaos = super::chaos::run(&live.cloud, &live.sdk, live.port, GROUP);
        live.figures.chaos = Some(stages.stage(title, chaos).await?);
    }
    if selection.runs(Optional::Scaling) {
        let title = "load ramps from 10 to 80 requests/s: the group scales out, then back in";
        let work = super::scaling::run(&mut live);
        live.figures.scaling = stages.stage(title, work).await?;
    }
    let title = "terraform destroy: no machine left";
    let scope = stages.stage(title, destroy(&live)).await?;
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

async fn bake_first(cloud: LiveCloud) -> Result<(Live, String)> {
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
        running: v1,
        bakes: 1,
        gated: false,
    };
    Ok((live, summary))
}

/// Bakes the next build of `live`'s app (`app` directory: the repository's,
/// or a test-made copy).
pub(super) fn bake_next(live: &mut Live, app: &std::path::Path) -> Result<Baked> {
    live.baker.set("app.dir", &app.to_string_lossy());
    let build = u32::try_from(live.bakes + 1).context("too many builds")?;
    let baked = bake(&mut live.baker, build)?;
    live.bakes += 1;
    Ok(baked)
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

async fn deploy(live: &mut Live) -> Result<((), String)> {
    let v1 = live.running.clone();
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

pub(super) fn show_load(tally: &Tally) {
    show_load_summary(tally);
    report::output(tally.table_lines());
}

/// The load's one-line summary, without its per-second table.
pub(super) fn show_load_summary(tally: &Tally) {
    report::output([format!(
        "load: {} requests in {:.0} s ({:.1}/s) from {} keep-alive clients, {} failed, p99 {:.1} ms",
        tally.total(),
        tally.elapsed.as_secs_f64(),
        tally.rate(),
        tally.clients,
        tally.failures().len(),
        tally.p99().unwrap_or_default().as_secs_f64() * 1000.0
    )]);
}

/// What every rollout's load must show: no failed request, the rate asked
/// for (within 10 %), and no request near a hang.
pub(super) fn check_load(tally: &Tally, during: &str) -> Result<()> {
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

async fn destroy(live: &Live) -> Result<(super::host_leftovers::Scope, String)> {
    let baked = live.bakes;
    report::command("terraform destroy -auto-approve");
    live.workspace.destroy()?;
    let machines = live.cloud.machines()?;
    ensure!(
        machines.is_empty(),
        "machines left after destroy: {machines:?}"
    );
    let scope = super::host_leftovers::after_destroy(&live.cloud, &live.sdk).await?;
    let images = live.sdk.baked_images("nodeapp").await?;
    ensure!(images.len() == baked, "the {baked} images stay: {images:?}");
    Ok((
        scope,
        format!(
            "no machine, overlay, namespace, veth, bridge, cgroup or HAProxy left; {} images kept",
            images.len()
        ),
    ))
}
