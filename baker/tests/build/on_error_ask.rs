//! `--on-error=ask` (Packer's `-on-error=ask`): on a terminal, a failed step
//! is followed by a question; `r` cleans up what the step half-made and runs
//! it again, `c` cleans up as usual, `a` keeps everything and lists it,
//! and a Ctrl-C while the question waits
//! cleans up too. Without a terminal nothing is asked (nothing hangs): the
//! build cleans up and says so.
//!
//! The terminal is a pseudo-terminal that a small Python driver (the `pty`
//! support of its standard library, no extra package) opens for baker's
//! stdin and stderr; it answers each question as it appears.
//!
//! Emulated behaviours relied on: fault injection (a one-shot SendCommand
//! failure, a lasting CreateImage or StopInstances one), the call counter.

use std::process::Command;

use serde_json::Value;

use crate::harness::{Emulator, Leftovers, Project};

/// Runs the command on a pseudo-terminal (stdin and stderr; stdout is a
/// pipe) and answers each question with the next answer: a line of text, or
/// `SIGINT` (sent twice, as two quick Ctrl-C). Prints one JSON object:
/// exit code, terminal transcript, stdout.
const DRIVER: &str = r#"
import json, os, select, signal, subprocess, sys, time
answers, cmd = json.loads(sys.argv[1]), sys.argv[2:]
QUESTION = b"[r] retry the step? "
master, slave = os.openpty()
child = subprocess.Popen(cmd, stdin=slave, stderr=slave, stdout=subprocess.PIPE)
os.close(slave)
seen, asked, deadline = b"", 0, time.time() + 110
while time.time() < deadline:
    ready, _, _ = select.select([master], [], [], 0.1)
    data = b""
    if ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        seen += data
    if asked < len(answers) and seen.count(QUESTION) > asked:
        answer = answers[asked]
        asked += 1
        if answer == "SIGINT":
            os.kill(child.pid, signal.SIGINT)
            time.sleep(0.05)
            os.kill(child.pid, signal.SIGINT)
        else:
            os.write(master, answer.encode() + b"\n")
    if child.poll() is not None and not data:
        break
else:
    child.kill()
out = child.stdout.read().decode(errors="replace")
child.wait()
print(json.dumps({"code": child.returncode, "terminal": seen.decode(errors="replace"), "stdout": out}))
"#;

struct TerminalRun {
    code: Option<i64>,
    terminal: String,
}

impl std::fmt::Display for TerminalRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- terminal ---\n{}",
            self.code, self.terminal
        )
    }
}

/// `baker ARGS` on a pseudo-terminal, answering `answers` in turn.
fn on_terminal(project: &Project, args: &[&str], answers: &[&str]) -> TerminalRun {
    let baker = project.command(args);
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut driver = Command::new(python);
    driver
        .arg("-c")
        .arg(DRIVER)
        .arg(serde_json::to_string(answers).expect("answers"))
        .arg(baker.get_program())
        .args(baker.get_args())
        .env_clear();
    for (key, value) in baker.get_envs() {
        if let Some(value) = value {
            driver.env(key, value);
        }
    }
    if let Some(dir) = baker.get_current_dir() {
        driver.current_dir(dir);
    }
    let output = driver.output().expect("running the terminal driver");
    let text = String::from_utf8_lossy(&output.stdout);
    let reply: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "the driver's answer is not JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    TerminalRun {
        code: reply["code"].as_i64(),
        terminal: reply["terminal"].as_str().unwrap_or_default().to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_ask_cleans_up_and_says_so() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "RunInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(&emulator, "");
    // stdin is /dev/null and stderr a pipe: nothing can be asked.
    let run = project.run(&["build", "--build-number", "111", "--on-error", "ask"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("not a terminal"), "{run}");
    assert!(run.stderr.contains("cleaning up"), "{run}");
    assert!(!run.stderr.contains("[r] retry"), "{run}");
    assert!(run.stderr.contains("step `launch builder` failed"), "{run}");
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}\n{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_retry_runs_the_step_again_and_cleanup_removes_everything() {
    let emulator = Emulator::start();
    // Delivery fails once; the image can never be made.
    emulator.fault("ssm", "SendCommand", "AccessDeniedException", 400, 1);
    emulator.fault("ec2", "CreateImage", "UnauthorizedOperation", 403, -1);
    let project = Project::new(&emulator, "");
    let run = on_terminal(
        &project,
        &["build", "--build-number", "112", "--on-error", "ask"],
        &["r", "c"],
    );
    assert_eq!(run.code, Some(1), "{run}");
    let text = &run.terminal;
    let retried = text
        .find("retrying step `deliver app`")
        .unwrap_or_else(|| panic!("no retry: {run}"));
    // The retried delivery succeeded, and the build went on to provision.
    assert!(text[retried..].contains("✓  deliver app"), "{run}");
    assert!(text[retried..].contains("✓  provision"), "{run}");
    assert!(
        text.contains("step `create image` failed: CreateImage: UnauthorizedOperation"),
        "{run}"
    );
    assert_eq!(text.matches("[r] retry the step? ").count(), 2, "{run}");
    let calls = emulator.calls();
    assert!(
        calls.get("ssm:SendCommand").copied().unwrap_or(0) >= 3,
        "the failed delivery, its retry and the provisioning: {calls:#?}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}\n{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_abort_keeps_everything_and_lists_it() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, -1);
    let project = Project::new(&emulator, "");
    let run = on_terminal(
        &project,
        &["build", "--build-number", "114", "--on-error", "ask"],
        &["a"],
    );
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.terminal.contains("nothing was cleaned up"), "{run}");
    let left = Leftovers::count(&emulator).await;
    assert_eq!(left.instances.len(), 1, "{left}");
    assert_eq!(left.security_groups.len(), 1, "{left}");
    for thing in [
        format!("builder instance {}", left.instances[0]),
        format!("security group {}", left.security_groups[0]),
        "baker exec --instance-id".to_string(),
    ] {
        assert!(run.terminal.contains(&thing), "{thing} in {run}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_the_question_waits_still_cleans_up() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, -1);
    let project = Project::new(&emulator, "");
    let run = on_terminal(
        &project,
        &["build", "--build-number", "113", "--on-error", "ask"],
        &["SIGINT"],
    );
    assert_eq!(run.code, Some(130), "{run}");
    assert!(run.terminal.contains("SIGINT received"), "{run}");
    let calls = emulator.calls();
    for call in [
        "ec2:TerminateInstances",
        "ec2:DeleteSecurityGroup",
        "iam:DeleteRole",
    ] {
        assert!(calls.contains_key(call), "{call}: {calls:#?}\n{run}");
    }
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}\n{run}");
}
