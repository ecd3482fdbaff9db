//! `image.encrypt_boot` (+ `image.kms_key_id`): the builder's root volume
//! is launched encrypted with the key, so the image made from it has
//! encrypted snapshots; a key without `encrypt_boot` is a configuration
//! mistake.
//!
//! Emulated behaviours relied on: RunInstances block device mappings with
//! `Encrypted` / `KmsKeyId`, DescribeVolumes, fault injection. The
//! emulator's CreateImage snapshots a fresh volume rather than the
//! instance's, so the volume the builder runs on is what is checked: the
//! build is stopped (`--on-error=abort`) with the builder still there.

use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_boot_launches_the_builder_on_an_encrypted_root_volume() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(
        &emulator,
        "[image]\nencrypt_boot = true\nkms_key_id = \"alias/baker-images\"\n",
    );
    let run = project.run(&["build", "--build-number", "81", "--on-error", "abort"]);
    assert_eq!(run.code, Some(1), "{run}");

    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let volumes = ec2
        .describe_volumes()
        .send()
        .await
        .expect("DescribeVolumes");
    let attached: Vec<_> = volumes
        .volumes()
        .iter()
        .filter(|v| !v.attachments().is_empty())
        .collect();
    assert_eq!(attached.len(), 1, "one root volume: {attached:#?}");
    assert_eq!(attached[0].encrypted(), Some(true), "{attached:#?}");
    assert_eq!(attached[0].kms_key_id(), Some("alias/baker-images"));
}

#[test]
fn a_kms_key_without_encrypt_boot_is_named() {
    let project = Project::offline("[image]\nkms_key_id = \"alias/x\"\n");
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("image.kms_key_id:"), "{run}");
}
