//! Four builds with `keep = 2` leave two images and only their snapshots;
//! an image without baker's tags is never touched; `baker prune` does the
//! same on demand, and `--dry-run` only lists.
//!
//! Emulated behaviours relied on: CreateImage with one snapshot per image,
//! DescribeImages tag filters, DeregisterImage / DeleteSnapshot.

use crate::harness::ec2_view::image_snapshots;
use crate::harness::{Emulator, Leftovers, Project};

/// An image of the account that baker did not make.
async fn foreign_image(ec2: &aws_sdk_ec2::Client) -> String {
    let source = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("DescribeImages")
        .images()
        .first()
        .and_then(|i| i.image_id().map(String::from))
        .expect("an Amazon image");
    let run = ec2
        .run_instances()
        .image_id(source)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances");
    let instance = run.instances()[0]
        .instance_id()
        .expect("instance id")
        .to_string();
    let image = ec2
        .create_image()
        .instance_id(&instance)
        .name("someone-elses-image")
        .send()
        .await
        .expect("CreateImage");
    ec2.terminate_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("TerminateInstances");
    image.image_id().expect("image id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_builds_with_keep_two_leave_the_newest_two() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let foreign = foreign_image(&ec2).await;
    let foreign_snapshots = image_snapshots(&ec2, &foreign).await;

    let project = Project::new(&emulator, "[image]\nkeep = 2\n");
    let mut amis = Vec::new();
    for build in 1..=4 {
        let run = project.build(build);
        assert!(run.success(), "{run}");
        amis.push(run.last_line().to_string());
    }
    assert_eq!(
        project.manifest()["builds"].as_array().map(Vec::len),
        Some(4),
        "the manifest is appended to"
    );

    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    let mut images = left.images.clone();
    images.sort();
    let mut expected = vec![amis[2].clone(), amis[3].clone(), foreign.clone()];
    expected.sort();
    assert_eq!(
        images, expected,
        "builds 3 and 4 and the foreign image remain"
    );

    let mut snapshots = left.snapshots.clone();
    snapshots.sort();
    let mut expected_snapshots = foreign_snapshots.clone();
    for ami in &amis[2..] {
        expected_snapshots.extend(image_snapshots(&ec2, ami).await);
    }
    expected_snapshots.sort();
    assert_eq!(
        snapshots, expected_snapshots,
        "only the kept images' snapshots remain"
    );

    // `baker prune --dry-run` lists, `baker prune` removes.
    let dry = project.run(&["prune", "--keep", "1", "--dry-run"]);
    assert!(dry.success(), "{dry}");
    assert!(
        dry.stdout.contains(&format!("would remove {}", amis[2])),
        "{dry}"
    );
    assert_eq!(Leftovers::count(&emulator).await.images.len(), 3);

    let prune = project.run(&["prune", "--keep", "1", "--output", "json"]);
    assert!(prune.success(), "{prune}");
    let json: serde_json::Value = serde_json::from_str(prune.last_line()).expect("JSON");
    assert_eq!(json["removed"], serde_json::json!([amis[2]]));
    let mut images = Leftovers::count(&emulator).await.images;
    images.sort();
    let mut expected = vec![amis[3].clone(), foreign];
    expected.sort();
    assert_eq!(images, expected);
}
