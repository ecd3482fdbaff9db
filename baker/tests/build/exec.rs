//! `baker exec` runs a command through SSM, prints its output and exits with
//! its exit code.
//!
//! Emulated behaviours relied on: DescribeInstanceInformation / SendCommand
//! accept a running instance with a profile; command outcomes give output.

use crate::harness::ssm_view::{managed_instance, sent_commands};
use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_prints_remote_output_and_exits_with_its_code() {
    let emulator = Emulator::start();
    let instance = managed_instance(&emulator, "web").await;
    emulator.command_outcome(
        "systemctl status",
        "Failed",
        "● nodeapp.service - inactive (dead)\n",
        "unit is not running\n",
        3,
    );
    let project = Project::new(&emulator, "");

    let run = project.run(&[
        "exec",
        "--instance-id",
        &instance,
        "--",
        "systemctl",
        "status",
        "nodeapp",
    ]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(run.stdout.contains("inactive (dead)"), "{run}");
    assert!(run.stderr.contains("unit is not running"), "{run}");

    let ok = project.run(&[
        "exec",
        "--instance-id",
        &instance,
        "--",
        "journalctl",
        "-u",
        "nodeapp",
        "--no-pager",
    ]);
    assert!(ok.success(), "{ok}");

    let sent = sent_commands(&emulator).await;
    assert!(
        sent.contains(&"systemctl status nodeapp".to_string()),
        "{sent:?}"
    );
    assert!(
        sent.contains(&"journalctl -u nodeapp --no-pager".to_string()),
        "{sent:?}"
    );

    let unknown = project.run(&["exec", "--instance-id", "i-0000000000000000", "--", "true"]);
    assert_eq!(unknown.code, Some(1), "{unknown}");
    assert!(unknown.stderr.contains("SendCommand"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_exactly_what_was_typed_and_sends_a_script_file() {
    let emulator = Emulator::start();
    let instance = managed_instance(&emulator, "web").await;
    let project = Project::new(&emulator, "");

    // One word with shell syntax stays one argument of `sh -c`, as
    // `kubectl exec` keeps argv; joined with spaces it would run `sh -c echo`.
    let run = project.run(&[
        "exec",
        "--instance-id",
        &instance,
        "--",
        "sh",
        "-c",
        "echo oops >&2; exit 7",
    ]);
    assert!(run.success(), "{run}");
    let script = project.path().join("check.sh");
    std::fs::write(
        &script,
        "set -e\nsystemctl is-active nodeapp\ncurl -fsS localhost:8080/health\n",
    )
    .expect("writing the script");
    let from_file = project.run(&[
        "exec",
        "--instance-id",
        &instance,
        "--script",
        script.to_str().expect("a UTF-8 path"),
    ]);
    assert!(from_file.success(), "{from_file}");

    let sent = sent_commands(&emulator).await;
    assert!(
        sent.contains(&"sh -c 'echo oops >&2; exit 7'".to_string()),
        "{sent:?}"
    );
    assert!(
        sent.contains(
            &"set -e\nsystemctl is-active nodeapp\ncurl -fsS localhost:8080/health\n".to_string()
        ),
        "{sent:?}"
    );

    let both = project.run(&[
        "exec",
        "--instance-id",
        &instance,
        "--script",
        "x.sh",
        "--",
        "true",
    ]);
    assert_eq!(both.code, Some(2), "{both}");
    let missing = project.run(&["exec", "--instance-id", &instance, "--script", "missing.sh"]);
    assert_eq!(missing.code, Some(2), "{missing}");
    assert!(missing.stderr.contains("--script"), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_says_when_ssm_kept_only_the_start_of_the_output() {
    let emulator = Emulator::start();
    let instance = managed_instance(&emulator, "web").await;
    // SSM's GetCommandInvocation returns the first 24,000 characters of
    // stdout; the emulator cuts the outcome there as AWS does.
    let long: String = (1..=20_000).map(|n| format!("{n}\n")).collect();
    emulator.command_outcome("seq", "Success", &long, "", 0);
    let project = Project::new(&emulator, "");

    let run = project.run(&[
        "exec",
        "--instance-id",
        &instance,
        "--",
        "seq",
        "1",
        "20000",
    ]);
    assert!(run.success(), "{run}");
    assert_eq!(
        run.stdout.chars().count(),
        24_000,
        "stdout as SSM returned it"
    );
    assert!(
        run.stderr
            .contains("SSM returned only the first 24000 characters of stdout"),
        "{run}"
    );
    assert!(run.stderr.contains("output_s3_bucket"), "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_prints_the_whole_output_from_the_output_bucket() {
    let emulator = Emulator::start();
    let instance = managed_instance(&emulator, "web").await;
    let s3 = emulator.s3().await;
    s3.create_bucket()
        .bucket("command-output")
        .send()
        .await
        .expect("CreateBucket");
    let long: String = (1..=20_000).map(|n| format!("{n}\n")).collect();
    emulator.command_outcome("seq", "Success", &long, "", 0);
    let project = Project::new(&emulator, "");

    let run = project.run(&[
        "exec",
        "--instance-id",
        &instance,
        "--output-bucket",
        "command-output",
        "--",
        "seq",
        "1",
        "20000",
    ]);
    assert!(run.success(), "{run}");
    assert_eq!(run.stdout, long, "the whole stdout, once");
    assert!(
        run.stderr
            .contains("the whole stdout is kept in s3://command-output/"),
        "{run}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_remote_command_and_says_so() {
    use std::time::{Duration, Instant};

    use rustix::process::{Pid, Signal, kill_process};

    let emulator = Emulator::start();
    // The command stays InProgress for a while: baker is following it.
    emulator.timing(serde_json::json!({"ssm_command_delay_seconds": 300}));
    let instance = managed_instance(&emulator, "web").await;
    let project = Project::new(&emulator, "");
    let args = ["exec", "--instance-id", &instance, "--", "sleep", "600"];
    let child = project.command(&args).spawn().expect("starting baker");
    let started = Instant::now();
    while emulator
        .calls()
        .get("ssm:GetCommandInvocation")
        .copied()
        .unwrap_or(0)
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "baker never started following the command"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    kill_process(Pid::from_child(&child), Signal::INT).expect("sending SIGINT");
    let run = crate::harness::project::finish(child, &args);
    assert_eq!(run.code, Some(130), "{run}");
    assert!(
        run.stderr.contains("SIGINT: asked SSM to cancel command"),
        "{run}"
    );
    assert!(
        emulator
            .calls()
            .get("ssm:CancelCommand")
            .copied()
            .unwrap_or(0)
            >= 1,
        "CancelCommand was called"
    );
}
