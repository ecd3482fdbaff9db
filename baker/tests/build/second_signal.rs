//! A second SIGINT cuts the cleanups' waits short, yet every delete call is
//! still made, and what could not be removed is listed with its id.
//!
//! Emulated behaviours relied on: `ssm_online_delay_seconds` (baker is
//! waiting when the first signal comes), a DeleteSecurityGroup fault that
//! answers DependencyViolation every time (the cleanup is waiting when the
//! second signal comes), the call counter.

use rustix::process::{Pid, Signal, kill_process};

use crate::harness::project::finish;
use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigint_still_deletes_and_lists_what_is_left() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "31"];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ssm:DescribeInstanceInformation", 1);
    emulator.fault("ec2", "DeleteSecurityGroup", "DependencyViolation", 400, -1);
    let pid = Pid::from_child(&child);
    kill_process(pid, Signal::INT).expect("first SIGINT");
    // The group's cleanup retries DependencyViolation: stop it waiting.
    emulator.wait_for_calls("ec2:DeleteSecurityGroup", 2);
    kill_process(pid, Signal::INT).expect("second SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(130), "{run}");
    let left = Leftovers::count(&emulator).await;
    assert_eq!(left.security_groups.len(), 1, "{left}");
    let group = &left.security_groups[0];
    assert!(
        run.stderr
            .contains(&format!("left: security group {group}")),
        "the group is listed with its id: {run}"
    );
    assert!(
        run.stderr.contains("the cleanup did not remove everything"),
        "{run}"
    );
    // Every other cleanup still ran: builder, profile and role are gone.
    assert!(left.instances.is_empty(), "{left}");
    assert!(left.instance_profiles.is_empty(), "{left}");
    assert!(left.roles.is_empty(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_quick_sigints_still_make_every_delete_call() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "32"];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ssm:DescribeInstanceInformation", 1);
    let pid = Pid::from_child(&child);
    kill_process(pid, Signal::INT).expect("first SIGINT");
    std::thread::sleep(std::time::Duration::from_millis(5));
    kill_process(pid, Signal::INT).expect("second SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(130), "{run}");
    let calls = emulator.calls();
    for call in [
        "ec2:TerminateInstances",
        "ec2:DeleteSecurityGroup",
        "iam:DeleteInstanceProfile",
        "iam:DeleteRole",
    ] {
        assert!(
            calls.get(call).is_some_and(|n| *n >= 1),
            "{call}: {calls:#?}\n{run}"
        );
    }
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}\n{run}");
}
