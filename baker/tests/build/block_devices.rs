//! `builder.launch_block_device_mappings` and `image.ami_block_device_mappings`
//! (Packer's keys): the builder launches with the volumes asked for, beside
//! the root that `builder.volume_size` maps; the image records its
//! mappings; bad entries are named (`…[1].iops`) alike by `validate` and
//! `build`; `--set` and `BAKER_*` cannot set them; a mapping of the root
//! device that `builder.volume_size` also sets is refused before anything
//! is created.
//!
//! Emulated behaviours relied on (emulator/ec2/block_devices.py):
//! RunInstances volumes with Iops / Throughput, instance store mappings,
//! the image's root volume beside the requested ones; CreateImage recording
//! its BlockDeviceMappings (new EBS volumes, VirtualName, NoDevice); fault
//! injection (`--on-error=abort` keeps the builder to look at).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Volume;

use crate::harness::{Emulator, Leftovers, Project};

const LAUNCH: &str = r#"
[builder]
volume_size = 12

[[builder.launch_block_device_mappings]]
device_name = "/dev/sdf"
volume_size = 20
volume_type = "gp3"
iops = 4000
throughput = 250
delete_on_termination = false

[[builder.launch_block_device_mappings]]
device_name = "/dev/sdg"
volume_size = 10
volume_type = "io1"
iops = 500
encrypted = true
kms_key_id = "alias/data"

[[builder.launch_block_device_mappings]]
device_name = "/dev/sdh"
virtual_name = "ephemeral0"

[[builder.launch_block_device_mappings]]
device_name = "/dev/sdi"
no_device = true
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_launches_with_the_launch_mappings_beside_its_root() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(&emulator, LAUNCH);
    let run = project.run(&["build", "--build-number", "101", "--on-error", "abort"]);
    assert_eq!(run.code, Some(1), "{run}");

    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let described = ec2.describe_instances().send().await.expect("instances");
    let builder = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.tags().iter().any(|t| t.key() == Some("baker:build-id")))
        .expect("the builder is kept");
    let root = builder
        .root_device_name()
        .expect("a root device")
        .to_string();
    let on_termination: BTreeMap<&str, Option<bool>> = builder
        .block_device_mappings()
        .iter()
        .map(|m| {
            (
                m.device_name().unwrap_or_default(),
                m.ebs().and_then(|e| e.delete_on_termination()),
            )
        })
        .collect();
    assert_eq!(on_termination.get("/dev/sdf"), Some(&Some(false)));
    assert_eq!(
        on_termination.get("/dev/sdg"),
        Some(&Some(true)),
        "the default"
    );

    let volumes = ec2.describe_volumes().send().await.expect("volumes");
    let by_device: BTreeMap<String, &Volume> = volumes
        .volumes()
        .iter()
        .filter_map(|v| {
            let attachment = v
                .attachments()
                .iter()
                .find(|a| a.instance_id() == builder.instance_id())?;
            Some((attachment.device().unwrap_or_default().to_string(), v))
        })
        .collect();
    let devices: Vec<&str> = by_device.keys().map(String::as_str).collect();
    let mut expected = vec![root.as_str(), "/dev/sdf", "/dev/sdg"];
    expected.sort_unstable();
    // No volume for the instance store (sdh) nor the suppressed device (sdi).
    assert_eq!(devices, expected, "{by_device:#?}");
    assert_eq!(by_device[&root].size(), Some(12), "builder.volume_size");
    let gp3 = by_device["/dev/sdf"];
    assert_eq!(gp3.size(), Some(20));
    assert_eq!(gp3.volume_type().map(|t| t.as_str()), Some("gp3"));
    assert_eq!(gp3.iops(), Some(4000));
    assert_eq!(gp3.throughput(), Some(250));
    let io1 = by_device["/dev/sdg"];
    assert_eq!(io1.volume_type().map(|t| t.as_str()), Some("io1"));
    assert_eq!(io1.iops(), Some(500));
    assert_eq!(io1.encrypted(), Some(true));
    assert_eq!(io1.kms_key_id(), Some("alias/data"));
}

const AMI: &str = r#"
[[image.ami_block_device_mappings]]
device_name = "/dev/sdb"
virtual_name = "ephemeral0"

[[image.ami_block_device_mappings]]
device_name = "/dev/sdc"
volume_size = 30
volume_type = "gp3"
iops = 3000
throughput = 125
encrypted = true
delete_on_termination = false

[[image.ami_block_device_mappings]]
device_name = "/dev/sdd"
no_device = true
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_records_the_ami_mappings() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, AMI);
    let run = project.build(102);
    assert!(run.success(), "{run}");
    let image_id = run.last_line().to_string();

    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let images = ec2
        .describe_images()
        .image_ids(&image_id)
        .send()
        .await
        .expect("DescribeImages");
    let image = images.images().first().expect("the image");
    let mappings: BTreeMap<&str, _> = image
        .block_device_mappings()
        .iter()
        .map(|m| (m.device_name().unwrap_or_default(), m))
        .collect();
    let root = image.root_device_name().expect("root device");
    assert!(
        mappings[root].ebs().and_then(|e| e.snapshot_id()).is_some(),
        "the root snapshot stays: {mappings:#?}"
    );
    assert_eq!(mappings["/dev/sdb"].virtual_name(), Some("ephemeral0"));
    let data = mappings["/dev/sdc"].ebs().expect("an EBS mapping");
    assert_eq!(data.volume_size(), Some(30));
    assert_eq!(data.volume_type().map(|t| t.as_str()), Some("gp3"));
    assert_eq!(data.iops(), Some(3000));
    assert_eq!(data.throughput(), Some(125));
    assert_eq!(data.encrypted(), Some(true));
    assert_eq!(data.delete_on_termination(), Some(false));
    assert_eq!(mappings["/dev/sdd"].no_device(), Some(""));
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
}

const BAD: &str = r#"
[[builder.launch_block_device_mappings]]
device_name = "/dev/sdf"
volume_size = 20
volume_type = "gp3"

[[builder.launch_block_device_mappings]]
device_name = "/dev/sdg"
volume_type = "gp2"
volume_size = 10
iops = 500
throughput = 200

[[builder.launch_block_device_mappings]]
device_name = "/dev/sdf"
volume_type = "io1"
volume_size = 10
kms_key_id = "alias/x"

[[image.ami_block_device_mappings]]
virtual_name = "scratch"

[[image.ami_block_device_mappings]]
device_name = "/dev/sdd"
no_device = true
volume_size = 5
"#;

/// The lines of stderr that name a mapping, sorted.
fn mapping_problems(stderr: &str) -> Vec<String> {
    let mut lines: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("_block_device_mappings["))
        .map(|l| l.trim().to_string())
        .collect();
    lines.sort();
    lines
}

#[test]
fn validate_and_build_name_the_same_bad_entries() {
    let project = Project::offline(BAD);
    let validate = project.run(&["validate"]);
    assert_eq!(validate.code, Some(2), "{validate}");
    let build = project.run(&["build", "--build-number", "103"]);
    assert_eq!(build.code, Some(2), "{build}");
    let found = mapping_problems(&validate.stderr);
    assert_eq!(
        found,
        mapping_problems(&build.stderr),
        "{validate}\n{build}"
    );
    for field in [
        "builder.launch_block_device_mappings[1].iops:",
        "builder.launch_block_device_mappings[1].throughput:",
        "builder.launch_block_device_mappings[2].device_name:",
        "builder.launch_block_device_mappings[2].iops:",
        "builder.launch_block_device_mappings[2].kms_key_id:",
        "image.ami_block_device_mappings[0].device_name:",
        "image.ami_block_device_mappings[0].virtual_name:",
        "image.ami_block_device_mappings[1].no_device:",
    ] {
        assert!(
            found.iter().any(|l| l.contains(field)),
            "{field} in {found:#?}"
        );
    }
    assert!(
        !found.iter().any(|l| l.contains("mappings[0].iops")),
        "{found:#?}"
    );
}

#[test]
fn an_unknown_field_of_an_entry_is_named_with_its_index() {
    let project = Project::offline(
        "[[image.ami_block_device_mappings]]\ndevice_name = \"/dev/sdb\"\n\n\
         [[image.ami_block_device_mappings]]\ndevice_name = \"/dev/sdc\"\nvolum_size = 3\n",
    );
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr
            .contains("`image.ami_block_device_mappings[1].volum_size`"),
        "{run}"
    );
}

#[test]
fn set_and_environment_cannot_set_an_array_of_tables() {
    let project = Project::offline("");
    let run = project.run(&[
        "validate",
        "--set",
        "builder.launch_block_device_mappings=/dev/sdf",
    ]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr
            .contains("--set builder.launch_block_device_mappings"),
        "{run}"
    );
    assert!(run.stderr.contains("array of tables"), "{run}");
    assert!(
        run.stderr
            .contains("[[builder.launch_block_device_mappings]]"),
        "{run}"
    );

    let run = project
        .command(&["validate"])
        .env("BAKER_IMAGE_AMI_BLOCK_DEVICE_MAPPINGS", "/dev/sdb")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("BAKER_IMAGE_AMI_BLOCK_DEVICE_MAPPINGS"),
        "{stderr}"
    );
    assert!(stderr.contains("array of tables"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_mapping_that_volume_size_also_sets_is_refused_before_anything_is_made() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let images = ec2
        .describe_images()
        .owners("amazon")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values("al2023-ami-2023.*-x86_64")
                .build(),
        )
        .send()
        .await
        .expect("DescribeImages");
    let image = images.images().first().expect("an al2023 image");
    let root = image.root_device_name().expect("its root device");
    let project = Project::new(
        &emulator,
        &format!(
            "[source]\nami = {:?}\n\n[builder]\nvolume_size = 12\n\n\
             [[builder.launch_block_device_mappings]]\ndevice_name = {root:?}\nvolume_size = 30\n",
            image.image_id().unwrap_or_default()
        ),
    );
    let run = project.build(104);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr
            .contains("builder.launch_block_device_mappings[0].device_name:"),
        "{run}"
    );
    assert!(run.stderr.contains("builder.volume_size"), "{run}");
    assert!(run.stderr.contains("resolve source AMI"), "{run}");
    let calls = emulator.calls();
    for call in [
        "ec2:RunInstances",
        "ec2:CreateSecurityGroup",
        "iam:CreateRole",
    ] {
        assert!(!calls.contains_key(call), "{call}: {calls:#?}");
    }
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}
