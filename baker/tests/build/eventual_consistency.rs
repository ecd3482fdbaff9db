//! EC2 is eventually consistent: a DescribeInstances right after
//! RunInstances may answer `InvalidInstanceID.NotFound`. baker treats that
//! as "not yet", terminates the instance it knows even when the lookup by
//! tag fails, and never calls an instance terminated on a NotFound without
//! checking the build-id tag.
//!
//! Emulated behaviours relied on: fault injection (`/_emulator/faults`), the
//! call counter, `ssm_online_delay_seconds`, `consistency_delay_seconds`.

use rustix::process::{Pid, Signal, kill_process};

use crate::harness::project::finish;
use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_unknown_to_describe_instances_is_waited_for() {
    let emulator = Emulator::start();
    emulator.fault(
        "ec2",
        "DescribeInstances",
        "InvalidInstanceID.NotFound",
        400,
        3,
    );
    let project = Project::new(&emulator, "");
    let run = project.build(21);
    assert!(run.success(), "{run}");
    assert!(run.last_line().starts_with("ami-"), "{run}");
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_against_an_eventually_consistent_account_leaves_only_its_image() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"consistency_delay_seconds": 1.0}));
    let project = Project::new(&emulator, "");
    let run = project.build(22);
    assert!(run.success(), "{run}");
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    assert_eq!(left.images, vec![run.last_line().to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_known_builder_is_terminated_when_the_lookup_by_tag_fails() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "23"];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ssm:DescribeInstanceInformation", 1);
    // The cleanup's first call is the lookup by tag: it fails.
    emulator.fault("ec2", "DescribeInstances", "UnauthorizedOperation", 403, 1);
    kill_process(Pid::from_child(&child), Signal::INT).expect("SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(130), "{run}");
    assert!(run.stderr.contains("terminated i-"), "{run}");
    assert!(
        run.stderr
            .contains("any other instance tagged baker:build-id="),
        "the failed lookup is reported: {run}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_not_found_is_checked_by_tag_before_calling_it_gone() {
    let emulator = Emulator::start();
    // The build fails once the builder runs; its cleanup's first
    // TerminateInstances answers NotFound though the builder exists.
    emulator.fault(
        "ssm",
        "DescribeInstanceInformation",
        "AccessDeniedException",
        400,
        1,
    );
    emulator.fault(
        "ec2",
        "TerminateInstances",
        "InvalidInstanceID.NotFound",
        400,
        1,
    );
    let project = Project::new(&emulator, "");
    let run = project.build(24);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("terminated i-"), "{run}");
    let calls = emulator.calls();
    assert_eq!(calls.get("ec2:TerminateInstances"), Some(&2), "{calls:#?}");
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_interrupted_right_after_launch_is_terminated_though_aws_does_not_show_it_yet() {
    let emulator = Emulator::start();
    // For 5 s the new instance is unknown to TerminateInstances, to
    // DescribeInstances by id and to the build-id tag filter alike.
    emulator.timing(serde_json::json!({"consistency_delay_seconds": 5.0}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "25"];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ec2:RunInstances", 1);
    kill_process(Pid::from_child(&child), Signal::INT).expect("SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(130), "{run}");
    assert!(run.stderr.contains("terminated i-"), "{run}");
    assert!(!run.stderr.contains("nothing to terminate"), "{run}");
    let lagging = emulator.control("GET", "/_emulator/calls", None)["lagging"].clone();
    assert!(
        lagging["ec2:TerminateInstances"].as_u64().unwrap_or(0) >= 1,
        "the cleanup met the lag: {lagging}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}
