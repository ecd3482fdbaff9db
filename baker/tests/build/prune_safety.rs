//! Prune leaves alone an image that a launch template's default or latest
//! version uses, and says so; `baker prune` does the same.
//!
//! Emulated behaviours relied on: CreateLaunchTemplate /
//! DescribeLaunchTemplateVersions with `$Default` and `$Latest` for every
//! template, DescribeImages tag filters.

use aws_sdk_ec2::types::RequestLaunchTemplateData;

use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_a_launch_template_uses_is_never_pruned() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[image]\nkeep = 1\n");
    let first = project.build(71);
    assert!(first.success(), "{first}");
    let used = first.last_line().to_string();

    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    ec2.create_launch_template()
        .launch_template_name("web")
        .launch_template_data(RequestLaunchTemplateData::builder().image_id(&used).build())
        .send()
        .await
        .expect("CreateLaunchTemplate");

    let second = project.build(72);
    assert!(second.success(), "{second}");
    let newest = second.last_line().to_string();
    assert!(
        second.stderr.contains(&format!("left alone {used}")),
        "{second}"
    );
    assert!(
        second.stderr.contains("used by launch template lt-"),
        "{second}"
    );
    let mut images = Leftovers::count(&emulator).await.images;
    images.sort();
    let mut expected = vec![used.clone(), newest.clone()];
    expected.sort();
    assert_eq!(images, expected);

    let prune = project.run(&["prune", "--keep", "1", "--output", "json"]);
    assert!(prune.success(), "{prune}");
    let json: serde_json::Value = serde_json::from_str(prune.last_line()).expect("JSON");
    assert_eq!(json["removed"], serde_json::json!([]), "{prune}");
    assert_eq!(json["skipped"][0]["id"], used.as_str(), "{prune}");
    assert_eq!(Leftovers::count(&emulator).await.images.len(), 2);
}
