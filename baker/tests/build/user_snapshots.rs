//! A snapshot the user names in `image.ami_block_device_mappings` stays the
//! user's: the image refers to it, but baker never tags it and never
//! deletes it: not when a re-run replaces the image with
//! `force_delete_snapshot`, not when prune removes the image. The snapshots
//! baker made for those images go.
//!
//! Emulated behaviours relied on: CreateImage recording a requested EBS
//! mapping with its SnapshotId (emulator/ec2/block_devices.py),
//! DescribeSnapshots `snapshot-id` and tag filters, DeleteSnapshot.

use crate::harness::ec2_view::{image_snapshots, tags};
use crate::harness::{Emulator, Leftovers, Project};

/// A snapshot of a fresh volume, made by hand.
async fn users_snapshot(ec2: &aws_sdk_ec2::Client) -> String {
    let volume = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(5)
        .send()
        .await
        .expect("CreateVolume");
    let snapshot = ec2
        .create_snapshot()
        .volume_id(volume.volume_id().expect("volume id"))
        .description("reference data")
        .send()
        .await
        .expect("CreateSnapshot");
    snapshot.snapshot_id().expect("snapshot id").to_string()
}

/// The image's snapshots other than `except`.
async fn other_snapshots(ec2: &aws_sdk_ec2::Client, image: &str, except: &str) -> Vec<String> {
    let mut snapshots = image_snapshots(ec2, image).await;
    snapshots.retain(|s| s != except);
    snapshots
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_named_in_an_ami_mapping_is_never_tagged_or_deleted() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let mine = users_snapshot(&ec2).await;
    let project = Project::new(
        &emulator,
        &format!(
            "[image]\nkeep = 1\nforce_deregister = true\nforce_delete_snapshot = true\n\n\
             [[image.ami_block_device_mappings]]\ndevice_name = \"/dev/sdh\"\n\
             snapshot_id = \"{mine}\"\n"
        ),
    );

    let first = project.build(7);
    assert!(first.success(), "{first}");
    let first_image = first.last_line().to_string();
    let first_made = image_snapshots(&ec2, &first_image).await;
    assert!(
        first_made.contains(&mine),
        "the image refers to {mine}: {first_made:?}"
    );
    let first_made = other_snapshots(&ec2, &first_image, &mine).await;
    assert_eq!(first_made.len(), 1, "the root snapshot: {first_made:?}");

    let described = ec2
        .describe_snapshots()
        .snapshot_ids(&mine)
        .send()
        .await
        .expect("DescribeSnapshots");
    let snapshot = described.snapshots().first().expect("the user's snapshot");
    assert!(
        !tags(snapshot.tags()).contains_key("baked-by"),
        "the user's snapshot is not tagged: {:?}",
        snapshot.tags()
    );

    // A re-run of the same build replaces the image and its own snapshot.
    let rerun = project.build(7);
    assert!(rerun.success(), "{rerun}");
    let second_image = rerun.last_line().to_string();
    assert_ne!(second_image, first_image);
    let left = Leftovers::count(&emulator).await;
    assert!(!left.images.contains(&first_image), "{left}");
    assert!(!left.snapshots.contains(&first_made[0]), "{left}");
    assert!(left.snapshots.contains(&mine), "{left}");

    // The next build prunes the re-run's image (keep = 1): its own snapshot
    // goes, the user's stays.
    let second_made = other_snapshots(&ec2, &second_image, &mine).await;
    let next = project.build(8);
    assert!(next.success(), "{next}");
    let left = Leftovers::count(&emulator).await;
    assert!(!left.images.contains(&second_image), "{left}");
    assert!(!left.snapshots.contains(&second_made[0]), "{left}");
    assert!(left.snapshots.contains(&mine), "{left}");
}
