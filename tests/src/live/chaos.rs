//! Chaos on the live fleet, under load: the app on one instance is stopped
//! (`baker exec -- systemctl stop nodeapp`: SSM runs it inside the machine),
//! and once the group has healed, another machine is killed outright
//! (`POST /_emulator/live/crash`). Each time the load balancer stops routing
//! to the dead target within its health check thresholds, the autoscaling
//! group (health check type ELB) replaces the instance, and the fleet is back
//! to full health: the desired count InService, Healthy and `healthy` in the
//! target group.
//!
//! The load balancer does not retry, so the requests it sent to a dead target
//! before its health checks noticed fail. For each fault that is at most
//! rate × (unhealthy threshold × interval + timeout), the health check times
//! scaled as the emulator scales them; the story asserts the sum.

use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};

use super::baker_exec::baker_exec;
use super::cloud::LiveCloud;
use super::fleet::{Fleet, HealthChecks, full_health, health_checks, out_of_rotation};
use super::load::{Load, Tally};
use crate::demo::cloud::Cloud;
use crate::demo::report;

/// Requests per second during the chaos.
pub const RATE: u32 = 40;
/// A bound on the load generator if nothing stopped it: 20 minutes' worth.
const LOAD_LIMIT: usize = 40 * 60 * 20;
/// Seconds of steady load before the first fault, for the table.
const BASELINE: Duration = Duration::from_secs(3);

/// One fault and the healing after it: what the story prints of it.
struct Healed {
    victim: String,
    at: Duration,
    detected_after: Duration,
    fleet: Fleet,
}

async fn heal(
    sdk: &Cloud,
    group: &str,
    checks: &HealthChecks,
    victim: &str,
    at: Duration,
    load_started: Instant,
) -> Result<Healed> {
    let seen = out_of_rotation(sdk, group, checks, victim, load_started).await?;
    let detected_after = seen.saturating_sub(at);
    report::output([format!(
        "{victim} out of the load balancer's rotation {:.1} s after the fault (its thresholds: {:.1} s)",
        detected_after.as_secs_f64(),
        checks.detection().as_secs_f64()
    )]);
    let fleet = full_health(sdk, group, checks, &[victim]).await?;
    report::output([format!("healed: {}", fleet.line())]);
    Ok(Healed {
        victim: victim.to_owned(),
        at,
        detected_after,
        fleet,
    })
}

/// The rows of the per-second table around the faults (and every row with a failure).
fn table_near(tally: &Tally, faults: &[&Healed], checks: &HealthChecks) -> Vec<String> {
    let reach = checks.detection().as_secs() + 3;
    tally
        .table_lines()
        .into_iter()
        .filter(|line| {
            let second = line
                .trim_start_matches("t+")
                .split('s')
                .next()
                .and_then(|s| s.trim().parse::<u64>().ok());
            match second {
                Some(second) => {
                    line.contains("failed")
                        || faults.iter().any(|f| {
                            let start = f.at.as_secs().saturating_sub(2);
                            (start..=f.at.as_secs() + reach).contains(&second)
                        })
                }
                None => true,
            }
        })
        .collect()
}

/// What `make bench` reports of the chaos stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChaosFigures {
    pub requests: usize,
    pub failed: usize,
    /// The most that may fail: requests in flight to the dead targets before
    /// the health checks could notice.
    pub bound: usize,
}

/// The chaos stage: returns its figures and the stage's summary line.
pub async fn run(
    cloud: &LiveCloud,
    sdk: &Cloud,
    port: u16,
    group: &str,
) -> Result<(ChaosFigures, String)> {
    let checks = health_checks(cloud, sdk, group).await?;
    let before = full_health(sdk, group, &checks, &[]).await?;
    let serving: Vec<String> = before.serving().iter().map(|s| (*s).to_owned()).collect();
    let [first, second] = serving.as_slice() else {
        bail!(
            "the chaos needs two instances in service: {}",
            before.line()
        );
    };
    report::output([format!("before: {}", before.line())]);

    let load = Load::start(port, RATE, LOAD_LIMIT);
    let started = Instant::now();
    tokio::time::sleep(BASELINE).await;

    report::command(&format!(
        "baker exec --instance-id {first} -- systemctl stop nodeapp   # under {RATE} requests/s"
    ));
    let at = started.elapsed();
    let shown = baker_exec(
        cloud,
        &["--instance-id", first],
        &["systemctl", "stop", "nodeapp"],
    );
    let shown = match shown {
        Ok(text) => text,
        Err(error) => {
            load.finish();
            return Err(error);
        }
    };
    report::output(shown.lines().filter(|l| !l.trim().is_empty()).take(4));
    let stopped = match heal(sdk, group, &checks, first, at, started).await {
        Ok(healed) => healed,
        Err(error) => {
            load.finish();
            return Err(error);
        }
    };

    report::command(&format!(
        "curl -X POST {}/_emulator/live/crash -d '{{\"instance_id\": \"{second}\"}}'   # the machine dies",
        cloud.moto.endpoint()
    ));
    let at = started.elapsed();
    let crashed = cloud
        .moto
        .control(
            "POST",
            "live/crash",
            serde_json::json!({ "instance_id": second }),
        )
        .map_err(anyhow::Error::from)
        .map(drop);
    let crashed = match crashed {
        Ok(()) => heal(sdk, group, &checks, second, at, started).await,
        Err(error) => Err(error),
    };
    let tally = load.finish();
    let crashed = crashed?;

    let faults = [&stopped, &crashed];
    let failed = tally.failures().len();
    let bound = faults.len() * checks.failure_bound(RATE);
    report::output([format!(
        "load: {} requests in {:.0} s ({:.1}/s, p99 {}), {failed} failed (bound: {bound} = {} faults × {RATE}/s × ({} × {} s + {} s) × {})",
        tally.total(),
        tally.elapsed.as_secs_f64(),
        tally.rate(),
        tally.p99().map_or("-".to_owned(), |p| format!(
            "{:.1} ms",
            p.as_secs_f64() * 1000.0
        )),
        faults.len(),
        checks.unhealthy_threshold,
        checks.interval,
        checks.timeout,
        checks.time_scale,
    )]);
    report::output(table_near(&tally, &faults, &checks));
    for fault in faults {
        report::output([format!(
            "{} (fault at t+{:.1}s): out of rotation after {:.1} s",
            fault.victim,
            fault.at.as_secs_f64(),
            fault.detected_after.as_secs_f64()
        )]);
    }
    ensure!(
        failed <= bound,
        "{failed} requests failed, more than the {bound} in flight to the dead targets before the health checks could notice: {:?}",
        tally.failures()
    );
    let after = &crashed.fleet;
    ensure!(
        !after.holds(first) && !after.holds(second),
        "both victims left the group: {}",
        after.line()
    );
    let figures = ChaosFigures {
        requests: tally.total(),
        failed,
        bound,
    };
    Ok((
        figures,
        format!(
            "app stopped on {first}, {second} killed: both replaced, {} in service; {} requests, {failed} failed (≤ {bound})",
            after.serving().len(),
            tally.total()
        ),
    ))
}
