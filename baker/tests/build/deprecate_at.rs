//! `image.deprecate_at` (Packer's key, an RFC 3339 time): the new image is
//! deprecated then (EnableImageDeprecation; AWS rounds to the minute); a
//! time that does not parse, is past or too far ahead is named.
//!
//! Emulated behaviours relied on: EnableImageDeprecation and DescribeImages'
//! DeprecationTime (`image_deprecation.py`).

use crate::ami_regions::{deprecation_secs, ec2_in, future_time, owned};
use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_is_deprecated_at_the_configured_minute() {
    let emulator = Emulator::start();
    let (at, rounded) = future_time(30);
    let project = Project::new(&emulator, &format!("[image]\ndeprecate_at = {at:?}\n"));
    let run = project.build(98);
    assert!(run.success(), "{run}");
    let (images, _) = owned(&ec2_in(&emulator, "us-east-1").await).await;
    assert_eq!(images.len(), 1, "{images:#?}");
    assert_eq!(images[0].image_id(), Some(run.last_line()));
    assert_eq!(deprecation_secs(&images[0]), rounded);
    assert_eq!(emulator.calls().get("ec2:EnableImageDeprecation"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_deprecate_at_nothing_is_deprecated() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let run = project.build(99);
    assert!(run.success(), "{run}");
    let (images, _) = owned(&ec2_in(&emulator, "us-east-1").await).await;
    assert_eq!(images[0].deprecation_time(), None);
    assert_eq!(emulator.calls().get("ec2:EnableImageDeprecation"), None);
}

#[test]
fn a_bad_deprecate_at_is_named_from_file_env_or_flag() {
    let project = Project::offline("[image]\ndeprecate_at = \"2020-01-01T00:00:00Z\"\n");
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr
            .contains("image.deprecate_at: 2020-01-01T00:00:00Z is not in the future"),
        "{run}"
    );

    let project = Project::offline("");
    let child = project
        .command(&["validate"])
        .env("BAKER_IMAGE_DEPRECATE_AT", "90d")
        .spawn()
        .expect("starting baker");
    let run = crate::harness::project::finish(child, &["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr
            .contains("image.deprecate_at: \"90d\" is not an RFC 3339 time"),
        "{run}"
    );

    let run = project.run(&[
        "validate",
        "--set",
        "image.deprecate_at=2099-01-01T00:00:00Z",
    ]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("more than 10 years ahead"), "{run}");
}
