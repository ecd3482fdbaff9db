//! `builder.run_tags` / `builder.run_volume_tags` (Packer's keys): extra
//! tags on the builder instance and on its volumes, under baker's own; a
//! tag baker sets on the builder is refused by field.
//!
//! Emulated behaviours relied on: RunInstances tag specifications for
//! instances and volumes, fault injection (`--on-error=abort` keeps the
//! builder to look at).

use crate::harness::ec2_view::tags;
use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_tags_reach_the_builder_and_run_volume_tags_its_volume() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(
        &emulator,
        "[builder.run_tags]\ncost-center = \"ci\"\n\n[builder.run_volume_tags]\nbackup = \"no\"\n",
    );
    let run = project.run(&[
        "build",
        "--build-number",
        "92",
        "--on-error",
        "abort",
        "--set",
        "builder.run_tags.owner=web",
    ]);
    assert_eq!(run.code, Some(1), "{run}");

    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let described = ec2.describe_instances().send().await.expect("instances");
    let instance = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| tags(i.tags()).contains_key("baker:build-id"))
        .expect("the builder");
    let instance_tags = tags(instance.tags());
    assert_eq!(
        instance_tags.get("cost-center").map(String::as_str),
        Some("ci")
    );
    assert_eq!(instance_tags.get("owner").map(String::as_str), Some("web"));
    assert!(!instance_tags.contains_key("backup"), "{instance_tags:?}");

    let volumes = ec2.describe_volumes().send().await.expect("volumes");
    let volume = volumes
        .volumes()
        .iter()
        .find(|v| {
            v.attachments()
                .iter()
                .any(|a| a.instance_id() == instance.instance_id())
        })
        .expect("the builder's volume");
    let volume_tags = tags(volume.tags());
    assert_eq!(volume_tags.get("backup").map(String::as_str), Some("no"));
    assert!(
        volume_tags.contains_key("baker:build-id"),
        "{volume_tags:?}"
    );
}

#[test]
fn a_run_tag_cannot_replace_baker_s_own() {
    let project = Project::offline("[builder.run_tags]\n\"baker:build-id\" = \"x\"\n");
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("builder.run_tags.baker:build-id:"),
        "{run}"
    );
}
