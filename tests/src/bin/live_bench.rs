//! `make bench`, live part: the live story on real machines, timed. Prints
//! instance launch → healthy in its target group, the wall time of a
//! two-instance rollout and of a failed rollout rolled back, and the failed
//! requests the load generator saw in each, beside their goals. The load
//! balancer's added latency is measured by emulator/tests/bench_live_lb.py.

use std::process::ExitCode;

use e2e::live::cloud::missing_requirements;
use e2e::live::story::run_measured;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let missing = missing_requirements();
    if !missing.is_empty() {
        eprintln!(
            "live bench skipped; it needs:\n  - {}",
            missing.join("\n  - ")
        );
        return ExitCode::SUCCESS;
    }
    let figures = match run_measured(true).await {
        Ok(figures) => figures,
        Err(error) => {
            eprintln!("live bench failed: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "\nlive stack (systemd-nspawn machines, HAProxy load balancer; health checks at 0.1x time)"
    );
    if let Some(took) = figures.launch_to_healthy {
        let ok = took.as_secs_f64() <= 3.0;
        println!(
            "  {:<52} {:>10.2} s   goal ≤ 3 s {}",
            "instance launch → healthy in its target group",
            took.as_secs_f64(),
            mark(ok)
        );
    }
    println!(
        "  {:<52} {:>10.1} s",
        "two-instance rollout (terraform apply)",
        figures.rollout.as_secs_f64()
    );
    println!(
        "  {:<52} {:>10}     goal 0 {}",
        "failed requests during the rollout",
        format!("{}/{}", figures.rollout_failed, figures.rollout_requests),
        mark(figures.rollout_failed == 0)
    );
    println!(
        "  {:<52} {:>10.1} s",
        "failed rollout rolled back (terraform apply)",
        figures.rollback.as_secs_f64()
    );
    println!(
        "  {:<52} {:>10}     goal 0 {}",
        "failed requests during the rollback",
        format!("{}/{}", figures.rollback_failed, figures.rollback_requests),
        mark(figures.rollback_failed == 0)
    );
    ExitCode::SUCCESS
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}
