//! SSM output: a failure carries the last lines of the remote stderr (and
//! where the whole output is kept, when SSM is told to keep it); a signal
//! cancels the running command (CancelCommand), tolerating an endpoint that
//! does not implement it; the output settings reach SendCommand.
//!
//! Emulated behaviours relied on: command outcomes, `ssm_command_delay_seconds`
//! (the command is InProgress when the signal comes), ListCommands recording
//! OutputS3BucketName / OutputS3KeyPrefix, the call counter.

use rustix::process::{Pid, Signal, kill_process};

use crate::harness::project::finish;
use crate::harness::{Emulator, Leftovers, Project};

const PLAN: &str = "Provisioning plan rendered by baker";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_shows_the_last_lines_of_stderr_and_where_the_rest_is() {
    let emulator = Emulator::start();
    let stderr: String = (1..=100).map(|i| format!("err-{i:03}\n")).collect();
    emulator.command_outcome(PLAN, "Failed", "", &stderr, 1);
    let project = Project::new(
        &emulator,
        "[communicator]\noutput_s3_bucket = \"build-logs\"\noutput_s3_prefix = \"baker\"\n\
         cloudwatch_log_group = \"/baker/ssm\"\n",
    );
    let run = project.build(61);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("remote stderr (last lines)"), "{run}");
    assert!(
        run.stderr.contains("err-100") && run.stderr.contains("err-071"),
        "{run}"
    );
    assert!(
        !run.stderr.contains("err-070"),
        "only the last lines: {run}"
    );
    assert!(run.stderr.contains("s3://build-logs/baker/"), "{run}");
    assert!(
        run.stderr.contains("CloudWatch Logs group /baker/ssm"),
        "{run}"
    );

    let ssm = aws_sdk_ssm::Client::new(&emulator.sdk().await);
    let listed = ssm.list_commands().send().await.expect("ListCommands");
    assert!(!listed.commands().is_empty());
    for command in listed.commands() {
        assert_eq!(command.output_s3_bucket_name(), Some("build-logs"));
        assert_eq!(command.output_s3_key_prefix(), Some("baker"));
    }
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_a_command_cancels_it_and_cleans_up() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_command_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let args = ["build", "--build-number", "62"];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ssm:GetCommandInvocation", 1);
    kill_process(Pid::from_child(&child), Signal::INT).expect("SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(130), "{run}");
    assert!(run.stderr.contains("during step `deliver app`"), "{run}");
    let calls = emulator.calls();
    assert!(
        calls.get("ssm:CancelCommand").is_some_and(|n| *n >= 1),
        "{calls:#?}\n{run}"
    );
    assert!(
        run.stderr.contains("CancelCommand"),
        "a log line says so: {run}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}

/// SSM cut stderr at 8,000 characters; with an output bucket the error shows
/// the real last lines, read back from it, and the temporary role was allowed
/// to write there (its inline policy, removed with the role).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_shows_the_real_last_lines_from_the_output_bucket() {
    let emulator = Emulator::start();
    let s3 = emulator.s3().await;
    s3.create_bucket()
        .bucket("build-logs")
        .send()
        .await
        .expect("CreateBucket");
    let stderr: String = (1..=1000).map(|i| format!("err-{i:04}\n")).collect();
    assert!(stderr.len() > 8000);
    emulator.command_outcome(PLAN, "Failed", "", &stderr, 1);
    let project = Project::new(
        &emulator,
        "[communicator]\noutput_s3_bucket = \"build-logs\"\n",
    );
    let run = project.build(62);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.contains("err-1000") && run.stderr.contains("err-0971"),
        "the real last lines, beyond SSM's 8,000 characters: {run}"
    );

    let left = Leftovers::count(&emulator).await;
    assert!(left.roles.is_empty() && left.instances.is_empty(), "{left}");
    assert_eq!(left.buckets, ["build-logs"], "{left}");
}
