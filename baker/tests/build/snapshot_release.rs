//! AWS releases a deregistered image's snapshots only after a while
//! (`InvalidSnapshot.InUse` meanwhile): the build's prune tries again until
//! they are gone; `baker prune` that runs out of `wait.snapshot_released`
//! names the snapshots left and the commands that remove them.
//!
//! Emulated behaviours relied on: DeleteSnapshot answering
//! `InvalidSnapshot.InUse` for `snapshot_release_seconds` after
//! DeregisterImage (`ec2/snapshot_release.py`; 3 s in the realism profile),
//! the call counter.

use serde_json::json;

use crate::harness::ec2_view::image_snapshots;
use crate::harness::{Emulator, Leftovers, Project};

async fn snapshot_exists(ec2: &aws_sdk_ec2::Client, snapshot: &str) -> bool {
    let out = ec2
        .describe_snapshots()
        .owner_ids("self")
        .send()
        .await
        .expect("DescribeSnapshots");
    out.snapshots()
        .iter()
        .any(|s| s.snapshot_id() == Some(snapshot))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_waits_until_aws_releases_the_snapshots_of_the_image_it_deregistered() {
    let emulator = Emulator::start();
    // The realism profile's value.
    emulator.timing(json!({"snapshot_release_seconds": 3}));
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let project = Project::new(&emulator, "[image]\nkeep = 1\n");
    let first = project.build(1);
    assert!(first.success(), "{first}");
    let old = first.last_line().to_string();
    let old_snapshots = image_snapshots(&ec2, &old).await;
    assert!(!old_snapshots.is_empty());

    let second = project.build(2);
    assert!(second.success(), "{second}");
    for snapshot in &old_snapshots {
        assert!(!snapshot_exists(&ec2, snapshot).await, "{snapshot} is left");
    }
    let calls = emulator.calls();
    let deletes = calls.get("ec2:DeleteSnapshot").copied().unwrap_or(0);
    assert!(
        deletes > old_snapshots.len() as u64,
        "DeleteSnapshot was tried again while in use: {calls:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_that_runs_out_of_time_names_the_snapshots_left_and_how_to_remove_them() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let project = Project::new(&emulator, "[image]\nkeep = 2\n");
    let first = project.build(1);
    assert!(first.success(), "{first}");
    let old = first.last_line().to_string();
    let old_snapshots = image_snapshots(&ec2, &old).await;
    let second = project.build(2);
    assert!(second.success(), "{second}");

    // AWS holds the snapshots longer than baker is told to wait.
    emulator.timing(json!({"snapshot_release_seconds": 600}));
    let run = project.run(&["prune", "--keep", "1", "--set", "wait.snapshot_released=1"]);
    assert_eq!(run.code, Some(1), "{run}");
    for snapshot in &old_snapshots {
        assert!(
            run.stderr.contains(&format!(
                "aws ec2 delete-snapshot --region us-east-1 --snapshot-id {snapshot}"
            )),
            "{run}"
        );
        assert!(run.stderr.contains(snapshot.as_str()), "{run}");
        assert!(snapshot_exists(&ec2, snapshot).await);
    }
    assert!(run.stderr.contains("left: snap-"), "{run}");
    assert!(
        run.stderr.contains(&format!(
            "AWS to release the snapshots of deregistered image {old}"
        )),
        "{run}"
    );

    // Once AWS has released them, the printed command works.
    emulator.timing(json!({"snapshot_release_seconds": 0}));
    for snapshot in &old_snapshots {
        ec2.delete_snapshot()
            .snapshot_id(snapshot)
            .send()
            .await
            .expect("DeleteSnapshot once released");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_image_and_a_failed_image_lose_their_snapshots_once_aws_releases_them() {
    let emulator = Emulator::start();
    emulator.timing(json!({"snapshot_release_seconds": 3}));
    let project = Project::new(&emulator, "");
    let first = project.build(7);
    assert!(first.success(), "{first}");
    let old_snapshots = Leftovers::count(&emulator).await.snapshots;

    // The same build again, replacing the image and deleting its snapshots.
    let forced = project.run(&[
        "build",
        "--build-number",
        "7",
        "--force-deregister",
        "--force-delete-snapshot",
    ]);
    assert!(forced.success(), "{forced}");
    let left = Leftovers::count(&emulator).await;
    for snapshot in &old_snapshots {
        assert!(!left.snapshots.contains(snapshot), "{snapshot}: {left}");
    }

    // A build whose image fails after CreateImage: its cleanup deregisters
    // the image and deletes the snapshot once AWS lets go of it.
    emulator.fault("ec2", "CreateTags", "UnauthorizedOperation", 403, -1);
    let failed = project.build(8);
    assert_eq!(failed.code, Some(1), "{failed}");
    assert!(failed.stderr.contains("deregistered ami-"), "{failed}");
    emulator.control("DELETE", "/_emulator/faults", None);
    let after = Leftovers::count(&emulator).await;
    assert_eq!(after.snapshots, left.snapshots, "{after}");
}
