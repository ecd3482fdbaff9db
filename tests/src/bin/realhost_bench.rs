//! `make bench` (real host): provisioning time over SSH and image boot to
//! the first 200, on a systemd-nspawn machine. Needs root and the packages
//! the real-host test needs; `ROUNDROBIN_REALHOST=skip` skips it, loudly.

use std::process::ExitCode;

use e2e::realhost::{bench, host};
use e2e::scorecard::Scorecard;

fn main() -> ExitCode {
    if let Some(reason) = host::skip_requested() {
        println!("real host: SKIPPED: {reason}");
        return ExitCode::SUCCESS;
    }
    match bench::run() {
        Ok(figures) => {
            let mut card = Scorecard::new();
            figures.score(&mut card);
            card.exit_code()
        }
        Err(error) => {
            eprintln!("real-host bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}
