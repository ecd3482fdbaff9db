//! A provisioning command that fails: its stderr is in the error, the exit
//! code is non-zero, and nothing is left.
//!
//! Emulated behaviour relied on: command outcomes (GetCommandInvocation
//! answers Failed with the given output for commands containing a string).

use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_plan_reports_its_stderr_and_cleans_up() {
    let emulator = Emulator::start();
    emulator.command_outcome(
        "Provisioning plan rendered by baker",
        "Failed",
        "baker: installing Node.js (nodejs)\n",
        "Error: Unable to find a match: nodejs\n",
        1,
    );
    let project = Project::new(&emulator, "");
    let run = project.build(5);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("step `provision` failed"), "{run}");
    assert!(
        run.stderr.contains("Error: Unable to find a match: nodejs"),
        "{run}"
    );
    assert!(run.stderr.contains("exit code 1"), "{run}");
    assert!(run.stdout.trim().is_empty(), "no AMI id is printed: {run}");

    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}
