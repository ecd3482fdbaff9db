//! SIGINT while the build waits for the SSM agent: the cleanups run, baker
//! exits non-zero (130) and nothing is left.
//!
//! Emulated behaviour relied on: `ssm_online_delay_seconds` keeps the new
//! instance from being Online, so baker is waiting when the signal comes.

use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::harness::project::finish;
use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_while_waiting_for_ssm_cleans_up() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "11"];
    let child = project.command(&args).spawn().expect("starting baker");

    // Wait (bounded) until baker is polling DescribeInstanceInformation.
    let started = Instant::now();
    while emulator
        .calls()
        .get("ssm:DescribeInstanceInformation")
        .copied()
        .unwrap_or(0)
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "baker never started waiting for SSM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = Pid::from_child(&child);
    kill_process(pid, Signal::INT).expect("sending SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(130), "{run}");
    assert!(
        run.stderr
            .contains("interrupted by SIGINT during step `wait for SSM agent`"),
        "{run}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}
