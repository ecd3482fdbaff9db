//! `make demo-live`: the story of `make demo`, on real machines. The emulator
//! runs in its live mode: every instance is a systemd-nspawn machine booted
//! from the baked image's disk, in a network namespace with its private IP;
//! the load balancer is HAProxy on a loopback port, checking the instances'
//! health for real. Needs root, systemd-nspawn, haproxy and debootstrap (the
//! first run makes the Debian base image: minutes). Stages in
//! `e2e::live::story`.

use std::process::ExitCode;
use std::time::Instant;

use e2e::live::cloud::missing_requirements;
use e2e::live::story;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let missing = missing_requirements();
    if !missing.is_empty() {
        eprintln!("demo-live needs:\n  - {}", missing.join("\n  - "));
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    match story::run().await {
        Ok(()) => {
            println!(
                "\nlive demo done in {:.0} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("\nlive demo failed: {error:#}");
            eprintln!("(the emulator powered its machines off and removed them)");
            ExitCode::FAILURE
        }
    }
}
