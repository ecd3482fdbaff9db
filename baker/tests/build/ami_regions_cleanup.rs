//! Copies of `image.ami_regions` that were started are removed when the
//! copy step fails or a signal comes: each is deregistered (a pending copy
//! is stopped that way) and its snapshots deleted, in its own region. The
//! image in the build region is complete by then and is kept (exit 3, or
//! 130 for SIGINT).
//!
//! Emulated behaviours relied on: cross-region CopyImage, `image_copy_seconds`
//! (copies stay pending, so baker is waiting on them), deregistering a
//! pending image, fault injection, the call counter.

use rustix::process::{Pid, Signal, kill_process};

use crate::ami_regions::{ec2_in, owned};
use crate::harness::project::finish;
use crate::harness::{Emulator, Project};

const REGIONS: [&str; 2] = ["us-west-2", "eu-west-1"];
const CONFIG: &str = "[image]\nami_regions = [\"us-west-2\", \"eu-west-1\"]\n";

/// Nothing owned is left in the copy regions.
async fn assert_no_copies(emulator: &Emulator) {
    for region in REGIONS {
        let (images, snapshots) = owned(&ec2_in(emulator, region).await).await;
        assert!(images.is_empty(), "{region}: {images:#?}");
        assert!(snapshots.is_empty(), "{region}: {snapshots:?}");
    }
}

async fn build_region_images(emulator: &Emulator) -> Vec<String> {
    let (images, _) = owned(&ec2_in(emulator, "us-east-1").await).await;
    images
        .iter()
        .filter_map(|i| i.image_id().map(String::from))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_copy_removes_every_started_copy_and_keeps_the_image() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"image_copy_seconds": 60}));
    let project = Project::new(&emulator, CONFIG);
    let args = ["build", "--build-number", "96"];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ec2:CopyImage", 2);
    // The next DescribeImages is baker's wait on the first copy.
    emulator.fault("ec2", "DescribeImages", "UnauthorizedOperation", 403, 1);
    let run = finish(child, &args);

    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr
            .contains("step `copy to regions` failed: DescribeImages"),
        "{run}"
    );
    let ami = run.last_line().to_string();
    assert!(
        run.stderr.contains(&format!("the image {ami} is complete")),
        "{run}"
    );
    for region in REGIONS {
        assert!(
            run.stderr
                .contains(&format!(" in {region} and deleted snap-")),
            "{region}: {run}"
        );
    }
    assert_no_copies(&emulator).await;
    assert_eq!(build_region_images(&emulator).await, vec![ami]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_while_copies_are_pending_removes_them() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"image_copy_seconds": 300}));
    let project = Project::new(&emulator, CONFIG);
    let args = ["build", "--build-number", "97"];
    let child = project.command(&args).spawn().expect("starting baker");
    emulator.wait_for_calls("ec2:CopyImage", 2);
    kill_process(Pid::from_child(&child), Signal::INT).expect("SIGINT");
    let run = finish(child, &args);

    assert_eq!(run.code, Some(130), "{run}");
    assert!(
        run.stderr
            .contains("interrupted by SIGINT during step `copy to regions`"),
        "{run}"
    );
    assert_no_copies(&emulator).await;
    let kept = build_region_images(&emulator).await;
    assert_eq!(kept, vec![run.last_line().to_string()], "{run}");
}
