//! `image.ami_users`, `image.ami_groups` and `image.snapshot_users`: the new
//! image's launch permission and its snapshots' create-volume permission
//! name them; a value that is not an account id (or `all`) is named.
//!
//! Emulated behaviours relied on: ModifyImageAttribute / DescribeImageAttribute
//! (launchPermission), ModifySnapshotAttribute / DescribeSnapshotAttribute
//! (createVolumePermission).

use aws_sdk_ec2::types::{ImageAttributeName, SnapshotAttributeName};

use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_and_its_snapshots_are_shared_as_configured() {
    let emulator = Emulator::start();
    let project = Project::new(
        &emulator,
        "[image]\nami_users = [\"111122223333\"]\nsnapshot_users = [\"111122223333\"]\n",
    );
    let run = project.build(91);
    assert!(run.success(), "{run}");
    let ami = run.last_line().to_string();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let launch = ec2
        .describe_image_attribute()
        .image_id(&ami)
        .attribute(ImageAttributeName::LaunchPermission)
        .send()
        .await
        .expect("DescribeImageAttribute");
    let users: Vec<&str> = launch
        .launch_permissions()
        .iter()
        .filter_map(|p| p.user_id())
        .collect();
    assert_eq!(users, ["111122223333"]);

    let image = ec2
        .describe_images()
        .image_ids(&ami)
        .send()
        .await
        .expect("DescribeImages");
    let snapshot = image.images()[0]
        .block_device_mappings()
        .iter()
        .find_map(|m| m.ebs().and_then(|e| e.snapshot_id()))
        .expect("a snapshot")
        .to_string();
    let volume = ec2
        .describe_snapshot_attribute()
        .snapshot_id(&snapshot)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .expect("DescribeSnapshotAttribute");
    let users: Vec<&str> = volume
        .create_volume_permissions()
        .iter()
        .filter_map(|p| p.user_id())
        .collect();
    assert_eq!(users, ["111122223333"]);
}

#[test]
fn sharing_values_are_checked_by_field() {
    let project = Project::offline(
        "[image]\nami_users = [\"alice\"]\nami_groups = [\"friends\"]\nsnapshot_users = [\"12\"]\n",
    );
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    for field in [
        "image.ami_users:",
        "image.ami_groups:",
        "image.snapshot_users:",
    ] {
        assert!(run.stderr.contains(field), "{field} in {run}");
    }
}
