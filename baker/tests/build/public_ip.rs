//! `builder.associate_public_ip_address` (Packer's key): an explicit
//! choice reaches RunInstances through a network interface that carries
//! the subnet and the temporary group.
//!
//! Emulated behaviours relied on: RunInstances network interfaces with
//! AssociatePublicIpAddress (default-VPC subnets map public IPs on launch),
//! fault injection (`--on-error=abort` keeps the builder to look at).

use crate::harness::{Emulator, Project};

async fn builder(emulator: &Emulator) -> aws_sdk_ec2::types::Instance {
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let described = ec2.describe_instances().send().await.expect("instances");
    described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.tags().iter().any(|t| t.key() == Some("baker:build-id")))
        .cloned()
        .expect("the builder")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_without_a_public_ip_keeps_its_group() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(
        &emulator,
        "[builder]\nassociate_public_ip_address = false\n",
    );
    let run = project.run(&["build", "--build-number", "93", "--on-error", "abort"]);
    assert_eq!(run.code, Some(1), "{run}");
    let instance = builder(&emulator).await;
    assert_eq!(instance.public_ip_address(), None, "{instance:#?}");
    let groups: Vec<&str> = instance
        .network_interfaces()
        .iter()
        .flat_map(|n| n.groups())
        .filter_map(|g| g.group_name())
        .collect();
    assert!(
        groups.iter().any(|g| g.starts_with("baker-nodeapp-")),
        "{groups:?}"
    );
}
