//! `image.skip_create_ami` (Packer's key): a provisioning dry run. The
//! builder is launched and provisioned, then removed; no image is made, no
//! manifest entry written, nothing pruned, and nothing is left.
//!
//! Emulated behaviours relied on: the call counter, SendCommand recording
//! the scripts, the leftovers count.

use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_is_provisioned_and_no_image_is_made() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[image]\nskip_create_ami = true\n");
    let run = project.build(206);
    assert!(run.success(), "{run}");
    assert_eq!(run.stdout.trim(), "", "no AMI id: {run}");
    assert!(run.stderr.contains("provisioning dry run"), "{run}");
    let calls = emulator.calls();
    assert_eq!(calls.get("ec2:RunInstances"), Some(&1), "{calls:?}");
    assert!(
        calls.get("ssm:SendCommand").is_some_and(|n| *n >= 1),
        "{calls:?}"
    );
    for action in [
        "ec2:CreateImage",
        "ec2:StopInstances",
        "ec2:DeregisterImage",
    ] {
        assert_eq!(calls.get(action), None, "{action}: {calls:?}");
    }
    assert!(
        !project.path().join("manifest.json").exists(),
        "no manifest: {run}"
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");

    let json = project.run(&["build", "--build-number", "207", "--output", "json"]);
    assert!(json.success(), "{json}");
    let printed: serde_json::Value = serde_json::from_str(json.last_line()).expect("JSON");
    assert_eq!(printed["ami_id"], serde_json::Value::Null, "{json}");
    assert_eq!(printed["skip_create_ami"], true, "{json}");
}
