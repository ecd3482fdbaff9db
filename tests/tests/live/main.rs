//! The live story as a test: baker and terraform, as shipped, against the
//! emulator's live mode (real machines, a real load balancer). It fails, and
//! names what is missing, on a machine without root, systemd-nspawn or
//! haproxy; `ROUNDROBIN_LIVE=skip` skips it on purpose, loudly.

use std::io::Write as _;

use e2e::live::cloud::{SKIP_ENV, missing_requirements};
use e2e::live::story;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_on_real_machines_drops_no_request_and_a_broken_build_rolls_back()
-> anyhow::Result<()> {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "skip") {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!!!! live story SKIPPED ({SKIP_ENV}=skip) !!!!!!!!!!\n"
        );
        return Ok(());
    }
    let missing = missing_requirements();
    anyhow::ensure!(
        missing.is_empty(),
        "the live story needs: {}",
        missing.join(", ")
    );
    story::run().await
}
