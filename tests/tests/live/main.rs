//! The live story as a test: baker and terraform, as shipped, against the
//! emulator's live mode (real machines, a real load balancer): rollouts that
//! drop no request, broken builds rolled back (by health checks, and by the
//! traffic gate within its bound), chaos healed, the group scaled with its
//! load. It fails, and names what is missing, on a machine without root,
//! systemd-nspawn or haproxy; `ROUNDROBIN_LIVE=skip` skips it on purpose,
//! loudly; `ROUNDROBIN_LIVE_STAGES` runs chosen stages only.

use std::io::Write as _;

use e2e::live::cloud::{SKIP_ENV, missing_requirements};
use e2e::live::story;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_real_machines_rollouts_drop_no_request_bad_builds_roll_back_and_the_group_scales()
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
