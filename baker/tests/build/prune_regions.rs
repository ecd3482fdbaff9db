//! `image.keep` holds in every region the image is copied to: each build's
//! prune keeps the newest copies of `image.ami_regions` (the one just made
//! among them) and removes the older ones with their snapshots; `baker
//! prune` does the same per region on demand, and `--dry-run` lists each
//! region's decision.
//!
//! Emulated behaviours relied on: CopyImage across regions (`image_copy.py`),
//! DescribeImages tag filters and DeregisterImage / DeleteSnapshot in each
//! region, DescribeLaunchTemplateVersions (none in the copy region).

use crate::ami_regions::{ec2_in, owned};
use crate::harness::{Emulator, Project};

/// The ids of the account's images in the region, sorted.
async fn image_ids(ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    let mut ids: Vec<String> = owned(ec2)
        .await
        .0
        .iter()
        .filter_map(|i| i.image_id().map(String::from))
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_are_pruned_in_their_region_too() {
    let emulator = Emulator::start();
    let project = Project::new(
        &emulator,
        "[image]\nkeep = 2\nami_regions = [\"eu-west-1\"]\n",
    );
    let mut copies = Vec::new();
    let mut last = serde_json::Value::Null;
    for build in 1..=3 {
        let number = build.to_string();
        let args = ["build", "--build-number", &number, "--output", "json"];
        let run = project.run(&args);
        assert!(run.success(), "{run}");
        last = serde_json::from_str(run.last_line()).expect("JSON on stdout");
        let copy = last["amis"]["eu-west-1"]
            .as_str()
            .expect("a copy in eu-west-1");
        copies.push(copy.to_string());
    }
    assert_eq!(
        last["pruned_copies"],
        serde_json::json!({"eu-west-1": [copies[0]]}),
        "the third build removes the first copy: {last}"
    );

    let west = ec2_in(&emulator, "eu-west-1").await;
    let mut expected = copies[1..].to_vec();
    expected.sort();
    assert_eq!(image_ids(&west).await, expected, "builds 2 and 3 remain");
    let (_, snapshots) = owned(&west).await;
    assert_eq!(snapshots.len(), 2, "only the kept copies' snapshots remain");

    let dry = project.run(&["prune", "--keep", "1", "--dry-run"]);
    assert!(dry.success(), "{dry}");
    assert!(dry.stdout.contains("eu-west-1:\n"), "{dry}");
    assert!(
        dry.stdout.contains(&format!("would remove {}", copies[1])),
        "{dry}"
    );
    assert_eq!(
        image_ids(&west).await,
        expected,
        "a dry run removes nothing"
    );

    // The build region fails (launch templates unreadable): the copy region
    // is pruned all the same, the output says so, and the command fails
    // naming the region.
    emulator.fault(
        "ec2",
        "DescribeLaunchTemplateVersions",
        "UnauthorizedOperation",
        403,
        1,
    );
    let prune = project.run(&["prune", "--keep", "1", "--output", "json"]);
    assert_eq!(prune.code, Some(1), "{prune}");
    assert!(prune.stderr.contains("prune in us-east-1"), "{prune}");
    let json: serde_json::Value = serde_json::from_str(prune.last_line()).expect("JSON");
    assert_eq!(
        json["regions"]["eu-west-1"]["removed"],
        serde_json::json!([copies[1]]),
        "{json}"
    );
    assert!(
        json.get("removed").is_none(),
        "no build region result: {json}"
    );
    assert_eq!(image_ids(&west).await, [copies[2].clone()]);
    assert_eq!(owned(&west).await.1.len(), 1);

    // Run again, the build region is pruned too; nothing is left to do in
    // the copy region.
    let prune = project.run(&["prune", "--keep", "1"]);
    assert!(prune.success(), "{prune}");
    assert!(prune.stdout.contains("eu-west-1:\nkeep    "), "{prune}");
    assert!(prune.stdout.contains("removed "), "{prune}");
}
