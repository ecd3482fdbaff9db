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
    // Kept on purpose, so prune does not sweep them as orphans.
    let prune = project.run(&["prune"]);
    assert!(prune.success(), "{prune}");
    let left = Leftovers::count(&emulator).await;
    for snapshot in &old_snapshots {
        assert!(
            left.snapshots.contains(snapshot),
            "{snapshot} kept: {left}\n{prune}"
        );
    }
}

#[test]
fn force_delete_snapshot_alone_is_a_configuration_mistake() {
    let project = Project::offline("[image]\nforce_delete_snapshot = true\n");
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("image.force_delete_snapshot:"), "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_run_with_copy_regions_replaces_the_copies_too() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[image]\nami_regions = [\"us-west-2\"]\n");
    let first = project.build(53);
    assert!(first.success(), "{first}");
    let west = crate::ami_regions::ec2_in(&emulator, "us-west-2").await;
    let (old_copies, old_snapshots) = crate::ami_regions::owned(&west).await;
    assert_eq!(old_copies.len(), 1, "{old_copies:#?}");

    // Without force_deregister the copy region's image is named before
    // anything is launched.
    let again = project.build(53);
    assert_eq!(again.code, Some(1), "{again}");
    assert!(again.stderr.contains("image.force_deregister"), "{again}");
    assert_eq!(emulator.calls().get("ec2:RunInstances"), Some(&1));

    let forced = project.run(&[
        "build",
        "--build-number",
        "53",
        "--force-deregister",
        "--force-delete-snapshot",
    ]);
    assert!(forced.success(), "{forced}");
    let (copies, snapshots) = crate::ami_regions::owned(&west).await;
    assert_eq!(copies.len(), 1, "one copy in us-west-2: {copies:#?}");
    assert_ne!(copies[0].image_id(), old_copies[0].image_id());
    for snapshot in &old_snapshots {
        assert!(!snapshots.contains(snapshot), "{snapshot} deleted");
    }
    let manifest = project.manifest();
    let last = manifest["builds"]
        .as_array()
        .and_then(|b| b.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        last["amis"]["us-west-2"],
        copies[0].image_id().unwrap_or_default()
    );
}
