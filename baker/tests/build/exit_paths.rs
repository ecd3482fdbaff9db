//! Every way a build can end early still runs the cleanups: SIGTERM (a CI
//! runner cancelling), SIGHUP (the SSH session or CI agent went away), a
//! closed stdout and stderr (`baker build 2>&1 | tee log` after tee died),
//! and a panic in a step or in a cleanup (exit code 70). SIGINT and a second
//! signal are in `interrupt.rs` and `second_signal.rs`.
//!
//! Emulated behaviour relied on: `ssm_online_delay_seconds` keeps the new
//! instance from being Online, so baker is waiting when the signal comes;
//! the call counter.

use std::process::Child;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::harness::project::finish;
use crate::harness::{Emulator, Leftovers, Project};

/// How long a build whose output nobody reads may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Signals `signal` once baker waits for the SSM agent; returns the run.
fn signal_while_waiting(signal: Signal, build: &str) -> (Emulator, crate::harness::project::Run) {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", build];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ssm:DescribeInstanceInformation", 1);
    kill_process(Pid::from_child(&child), signal).expect("sending the signal");
    (emulator, finish(child, &args))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cleans_up_and_exits_143() {
    let (emulator, run) = signal_while_waiting(Signal::TERM, "41");
    assert_eq!(run.code, Some(143), "{run}");
    assert!(
        run.stderr
            .contains("interrupted by SIGTERM during step `wait for SSM agent`; cleaned up"),
        "{run}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}\n{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_cleans_up_and_exits_129() {
    let (emulator, run) = signal_while_waiting(Signal::HUP, "42");
    assert_eq!(run.code, Some(129), "{run}");
    assert!(
        run.stderr
            .contains("interrupted by SIGHUP during step `wait for SSM agent`; cleaned up"),
        "{run}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}\n{run}");
}

/// Starts `baker ARGS` and closes the read ends of its stdout and stderr at
/// once, as a dead `tee` would: every write baker makes then fails.
fn spawn_unread(project: &Project, args: &[&str]) -> Child {
    let mut child = project.command(args).spawn().expect("starting baker");
    drop(child.stdout.take());
    drop(child.stderr.take());
    child
}

/// Waits (bounded) for a child whose output nobody reads; its exit code.
fn exit_code(mut child: Child) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for baker") {
            return status.code();
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("baker did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_whose_output_nobody_reads_still_succeeds() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let child = spawn_unread(&project, &["build", "--build-number", "43"]);
    assert_eq!(exit_code(child), Some(0), "output errors are never fatal");
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    assert_eq!(left.images.len(), 1, "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_after_the_log_reader_died_still_cleans_up() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let child = spawn_unread(&project, &["build", "--build-number", "44"]);
    emulator.wait_for_calls("ssm:DescribeInstanceInformation", 1);
    kill_process(Pid::from_child(&child), Signal::INT).expect("sending SIGINT");
    assert_eq!(exit_code(child), Some(130));
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_step_still_cleans_up_and_exits_70() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "45"];
    let child = project
        .command(&args)
        .env("BAKER_TEST_PANIC_IN_STEP", "wait for SSM agent")
        .spawn()
        .expect("starting baker");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(70), "{run}");
    assert!(
        run.stderr.contains("step `wait for SSM agent` crashed"),
        "{run}"
    );
    let calls = emulator.calls();
    assert!(calls.contains_key("ec2:RunInstances"), "{calls:#?}");
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}\n{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_one_cleanup_does_not_stop_the_others() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "46"];
    let child = project
        .command(&args)
        .env("BAKER_TEST_PANIC_IN_CLEANUP", "security group")
        .spawn()
        .expect("starting baker");
    emulator.wait_for_calls("ssm:DescribeInstanceInformation", 1);
    kill_process(Pid::from_child(&child), Signal::INT).expect("sending SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(70), "a crash wins over the signal: {run}");
    assert!(
        run.stderr
            .contains("cleanup of step `security group` failed"),
        "{run}"
    );
    let left = Leftovers::count(&emulator).await;
    // Only the group whose cleanup crashed is left; the cleanups before and
    // after it (the builder, the profile and role) ran.
    assert_eq!(left.security_groups.len(), 1, "{left}");
    assert!(left.instances.is_empty(), "{left}");
    assert!(left.instance_profiles.is_empty(), "{left}");
    assert!(left.roles.is_empty(), "{left}");
}
