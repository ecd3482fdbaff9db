//! A command sent before the instance's SSM agent is online is accepted by
//! SSM and stays `Pending`, then `Delayed`, until the agent takes it: baker
//! keeps polling through those states and prints the command's output.
//!
//! Emulated behaviours relied on: SendCommand accepting an instance with a
//! profile that is not yet a managed node, its invocation Pending then
//! Delayed until `ssm_online_delay_seconds` have passed (`ssm/delivery.py`),
//! command outcomes, the call counter.

use serde_json::json;

use crate::harness::ssm_view::managed_instance;
use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_on_an_instance_whose_agent_is_not_online_yet_waits_for_delivery() {
    let emulator = Emulator::start();
    emulator.timing(json!({"ssm_online_delay_seconds": 3}));
    let instance = managed_instance(&emulator, "booting").await;
    emulator.command_outcome("uptime", "Success", "up 1 min\n", "", 0);

    // The invocation stays Pending, then Delayed, for about three seconds.
    let project = Project::new(&emulator, "");
    let run = project.run(&["exec", "--instance-id", &instance, "--", "uptime"]);
    assert!(run.success(), "{run}");
    assert!(run.stdout.contains("up 1 min"), "{run}");
    let calls = emulator.calls();
    assert_eq!(calls.get("ssm:SendCommand"), Some(&1), "{calls:#?}");
    assert!(
        calls.get("ssm:GetCommandInvocation").copied().unwrap_or(0) > 1,
        "polled past Pending / Delayed: {calls:#?}"
    );
}
