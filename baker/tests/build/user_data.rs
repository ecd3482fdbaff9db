//! `builder.user_data` / `builder.user_data_file` (Packer's keys): the
//! builder is launched with them; both at once, or a missing file, is a
//! configuration mistake named by field.
//!
//! Emulated behaviours relied on: RunInstances UserData and
//! DescribeInstanceAttribute `userData`, fault injection (`--on-error=abort`
//! keeps the builder to look at).

use aws_sdk_ec2::types::InstanceAttributeName;
use base64::Engine as _;

use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_gets_the_user_data_file() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(&emulator, "");
    let text = "#cloud-config\npackages: [jq]\n";
    std::fs::write(project.path().join("user-data.yaml"), text).expect("write");
    let run = project.run(&[
        "build",
        "--build-number",
        "94",
        "--on-error",
        "abort",
        "--set",
        "builder.user_data_file=user-data.yaml",
    ]);
    assert_eq!(run.code, Some(1), "{run}");

    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let described = ec2.describe_instances().send().await.expect("instances");
    let id = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.tags().iter().any(|t| t.key() == Some("baker:build-id")))
        .and_then(|i| i.instance_id())
        .expect("the builder")
        .to_string();
    let attribute = ec2
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(InstanceAttributeName::UserData)
        .send()
        .await
        .expect("DescribeInstanceAttribute");
    let encoded = attribute
        .user_data()
        .and_then(|u| u.value())
        .expect("user data");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    assert_eq!(String::from_utf8_lossy(&decoded), text);
}

#[test]
fn user_data_and_user_data_file_exclude_each_other() {
    let project =
        Project::offline("[builder]\nuser_data = \"#!/bin/sh\"\nuser_data_file = \"x\"\n");
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("builder.user_data_file:"), "{run}");
    assert!(run.stderr.contains("not both"), "{run}");
}
