//! `image.ami_regions` (+ `image.region_kms_key_ids`, Packer's keys): once
//! the image is available, it is copied to each other region; every copy is
//! waited for, encrypted with its region's key, tagged like the image (its
//! snapshots too), shared and deprecated like it, and listed in the
//! manifest. The build region in the list is ignored; a key for a region
//! that is not in the list is named.
//!
//! Emulated behaviours relied on: CopyImage across regions with `Encrypted`
//! / `KmsKeyId` (`image_copy.py`), `image_copy_seconds` (a copy is pending a
//! while), `consistency_delay_seconds` (a new copy is NotFound at first),
//! EnableImageDeprecation / DeprecationTime (`image_deprecation.py`),
//! launch and create-volume permissions, the call counter.

use aws_sdk_ec2::types::{ImageAttributeName, SnapshotAttributeName};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::harness::ec2_view::tags;
use crate::harness::project::finish;
use crate::harness::{Emulator, Project};

const ACCOUNT: &str = "123456789012";

/// An EC2 client of the emulator in `region`.
pub async fn ec2_in(emulator: &Emulator, region: &str) -> aws_sdk_ec2::Client {
    let sdk = emulator.sdk().await;
    let config = aws_sdk_ec2::config::Builder::from(&sdk)
        .region(aws_config::Region::new(region.to_string()))
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

/// Images and snapshots the account owns in the region.
pub async fn owned(ec2: &aws_sdk_ec2::Client) -> (Vec<aws_sdk_ec2::types::Image>, Vec<String>) {
    let images = ec2
        .describe_images()
        .owners("self")
        .send()
        .await
        .expect("DescribeImages");
    let snapshots = ec2
        .describe_snapshots()
        .owner_ids("self")
        .send()
        .await
        .expect("DescribeSnapshots");
    (
        images.images().to_vec(),
        snapshots
            .snapshots()
            .iter()
            .filter(|s| s.owner_id() == Some(ACCOUNT))
            .filter_map(|s| s.snapshot_id().map(String::from))
            .collect(),
    )
}

/// `now + days`, at 40 seconds past a minute, as RFC 3339; and the minute
/// AWS rounds it to, in Unix seconds.
pub fn future_time(days: i64) -> (String, i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let at = (now + days * 86_400) / 60 * 60 + 40;
    let text = DateTime::from_secs(at)
        .fmt(Format::DateTime)
        .expect("formats");
    (text, at + 20)
}

pub fn deprecation_secs(image: &aws_sdk_ec2::types::Image) -> i64 {
    let text = image.deprecation_time().expect("a DeprecationTime");
    DateTime::from_str(text, Format::DateTime)
        .expect("DeprecationTime is RFC 3339")
        .secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_reach_every_region_encrypted_tagged_shared_and_deprecated() {
    let emulator = Emulator::start();
    emulator
        .timing(serde_json::json!({"consistency_delay_seconds": 1.0, "image_copy_seconds": 1.0}));
    let project = Project::new(
        &emulator,
        "[image]\n\
         ami_regions = [\"us-west-2\", \"eu-west-1\", \"us-east-1\", \"us-west-2\"]\n\
         encrypt_boot = true\n\
         ami_users = [\"111122223333\"]\n\
         snapshot_users = [\"111122223333\"]\n\
         [image.region_kms_key_ids]\n\
         us-west-2 = \"alias/west\"\n\
         [image.tags]\n\
         team = \"web\"\n",
    );
    let (deprecate_at, rounded) = future_time(90);
    let args = ["build", "--build-number", "95"];
    let child = project
        .command(&args)
        .env("BAKER_IMAGE_DEPRECATE_AT", &deprecate_at)
        .env(
            "BAKER_IMAGE_REGION_KMS_KEY_IDS",
            "us-west-2=alias/west,eu-west-1=alias/eu",
        )
        .spawn()
        .expect("starting baker");
    let run = finish(child, &args);
    assert!(run.success(), "{run}");
    let ami = run.last_line().to_string();

    let manifest = project.manifest();
    let build = &manifest["builds"][0];
    assert_eq!(build["artifact_id"], format!("us-east-1:{ami}"), "{build}");
    let amis = build["amis"].as_object().expect("amis in the manifest");
    assert_eq!(
        amis.keys().map(String::as_str).collect::<Vec<_>>(),
        ["eu-west-1", "us-east-1", "us-west-2"],
        "{build}"
    );
    assert_eq!(amis["us-east-1"], ami.as_str());
    // The build region is not copied into; a repeated region is copied once.
    assert_eq!(emulator.calls().get("ec2:CopyImage"), Some(&2));

    let east = ec2_in(&emulator, "us-east-1").await;
    let (images, _) = owned(&east).await;
    assert_eq!(images.len(), 1, "{images:#?}");
    let source_tags = tags(images[0].tags());
    assert_eq!(source_tags.get("team").map(String::as_str), Some("web"));
    assert_eq!(deprecation_secs(&images[0]), rounded);

    for (region, key) in [("us-west-2", "alias/west"), ("eu-west-1", "alias/eu")] {
        let ec2 = ec2_in(&emulator, region).await;
        let (images, snapshots) = owned(&ec2).await;
        assert_eq!(images.len(), 1, "{region}: {images:#?}");
        let copy = &images[0];
        let id = copy.image_id().expect("id").to_string();
        assert_eq!(amis[region], id.as_str(), "{region}");
        assert_eq!(copy.name(), images[0].name());
        assert_eq!(tags(copy.tags()), source_tags, "{region}: the image's tags");
        assert_eq!(deprecation_secs(copy), rounded, "{region}");

        let snapshot_ids: Vec<String> = copy
            .block_device_mappings()
            .iter()
            .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(String::from))
            .collect();
        assert_eq!(snapshot_ids, snapshots, "{region}");
        let described = ec2
            .describe_snapshots()
            .set_snapshot_ids(Some(snapshot_ids.clone()))
            .send()
            .await
            .expect("DescribeSnapshots");
        for snapshot in described.snapshots() {
            assert_eq!(
                tags(snapshot.tags()),
                source_tags,
                "{region}: snapshot tags"
            );
            assert_eq!(snapshot.encrypted(), Some(true), "{region}");
            assert_eq!(snapshot.kms_key_id(), Some(key), "{region}");
        }

        let launch = ec2
            .describe_image_attribute()
            .image_id(&id)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .expect("DescribeImageAttribute");
        let users: Vec<&str> = launch
            .launch_permissions()
            .iter()
            .filter_map(|p| p.user_id())
            .collect();
        assert_eq!(users, ["111122223333"], "{region}");
        let volume = ec2
            .describe_snapshot_attribute()
            .snapshot_id(&snapshot_ids[0])
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
            .expect("DescribeSnapshotAttribute");
        let users: Vec<&str> = volume
            .create_volume_permissions()
            .iter()
            .filter_map(|p| p.user_id())
            .collect();
        assert_eq!(users, ["111122223333"], "{region}");
    }
}

#[test]
fn region_problems_are_named_by_field() {
    let project = Project::offline(
        "[image]\nami_regions = [\"eu-west-1\", \"Mars\"]\nencrypt_boot = true\n\
         [image.region_kms_key_ids]\nap-south-1 = \"alias/k\"\n",
    );
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("image.ami_regions:"), "{run}");
    assert!(run.stderr.contains("\"Mars\""), "{run}");
    assert!(
        run.stderr.contains("image.region_kms_key_ids.ap-south-1:"),
        "{run}"
    );
    assert!(!run.stderr.contains("eu-west-1\" is not"), "{run}");

    let project = Project::offline("[image]\nami_regions = [\"eu-west-1\"]\n");
    let run = project.run(&[
        "validate",
        "--set",
        "image.region_kms_key_ids.eu-west-1=alias/k",
    ]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr
            .contains("image.region_kms_key_ids: only works with image.encrypt_boot = true"),
        "{run}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_region_problem_stops_the_build_before_anything_is_created() {
    let emulator = Emulator::start();
    let project = Project::new(
        &emulator,
        "[image]\nami_regions = [\"eu-west-1\"]\nencrypt_boot = true\n\
         snapshot_users = [\"111122223333\"]\n",
    );
    // The build region is known (AWS_REGION), so the problem is found
    // before any AWS call, as `baker validate` finds it (`one_verdict.rs`).
    let run = project.build(94);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains(
            "  - image.region_kms_key_ids.eu-west-1: \
             image.snapshot_users cannot use snapshots encrypted with the default EBS key"
        ),
        "{run}"
    );
    assert!(emulator.calls().is_empty(), "{:#?}", emulator.calls());
    let left = crate::harness::Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}
