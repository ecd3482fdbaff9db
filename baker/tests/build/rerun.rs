//! A re-run of the same CI build (same commit and build number, so the same
//! image name) is refused before anything is launched, with an error that
//! names `force_deregister`; with it (and `force_delete_snapshot`) the old
//! image and its snapshots are replaced.
//!
//! Emulated behaviours relied on: DescribeImages name filters, the call
//! counter, DeregisterImage / DeleteSnapshot.

use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_build_twice_needs_force_deregister() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let first = project.build(51);
    assert!(first.success(), "{first}");
    let old = first.last_line().to_string();
    let old_snapshots = Leftovers::count(&emulator).await.snapshots;

    let again = project.build(51);
    assert_eq!(again.code, Some(1), "{again}");
    assert!(
        again.stderr.contains("step `check image name` failed"),
        "{again}"
    );
    for hint in [
        "image.force_deregister",
        "--force-deregister",
        "BAKER_FORCE_DEREGISTER",
    ] {
        assert!(again.stderr.contains(hint), "{hint} in {again}");
    }
    assert_eq!(
        emulator.calls().get("ec2:RunInstances"),
        Some(&1),
        "nothing launched"
    );

    let forced = project.run(&[
        "build",
        "--build-number",
        "51",
        "--force-deregister",
        "--force-delete-snapshot",
    ]);
    assert!(forced.success(), "{forced}");
    let new = forced.last_line().to_string();
    assert_ne!(new, old);
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    assert_eq!(left.images, vec![new], "the old image is gone: {left}");
    for snapshot in &old_snapshots {
        assert!(
            !left.snapshots.contains(snapshot),
            "{snapshot} deleted: {left}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_deregister_from_the_environment_keeps_the_old_snapshots() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let first = project.build(52);
    assert!(first.success(), "{first}");
    let old_snapshots = Leftovers::count(&emulator).await.snapshots;
    let run = project
        .command(&["build", "--build-number", "52"])
        .env("BAKER_FORCE_DEREGISTER", "true")
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let left = Leftovers::count(&emulator).await;
    assert_eq!(left.images.len(), 1, "{left}");
    for snapshot in &old_snapshots {
        assert!(left.snapshots.contains(snapshot), "{snapshot} kept: {left}");
    }
}

#[test]
fn force_delete_snapshot_alone_is_a_configuration_mistake() {
    let project = Project::offline("[image]\nforce_delete_snapshot = true\n");
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("image.force_delete_snapshot:"), "{run}");
}
