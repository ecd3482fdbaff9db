//! `image.imds_support`, `image.ena_support`, `image.sriov_support`,
//! `image.snapshot_tags`, placeholders in tag values, and
//! `builder.metadata_options` / `builder.shutdown_behavior` (Packer's
//! keys): one build sets them all, and the image, its snapshots and the
//! builder show them through the EC2 API; each mistake is refused alike by
//! `validate` and `build`.
//!
//! Emulated behaviours relied on: ModifyImageAttribute `ImdsSupport`,
//! ModifyInstanceAttribute `EnaSupport` / `SriovNetSupport` on a stopped
//! instance and CreateImage taking them over (`ec2/image_attributes.py`),
//! RunInstances' metadata options and shutdown behavior as the reference
//! allows them (`ec2/launch_options.py`), CreateTags, DescribeSnapshots.

use crate::harness::ec2_view::{image_snapshots, tags};
use crate::harness::{Emulator, Leftovers, Project};
use crate::one_verdict::same_verdict;

use super::builder;

const CONFIG: &str = "[image]\nimds_support = \"v2.0\"\nena_support = true\nsriov_support = true\n\n\
     [image.tags]\nrelease = \"{app}-{build}\"\n\n\
     [image.snapshot_tags]\nbackup = \"daily-{short_commit}\"\n\n\
     [builder]\nshutdown_behavior = \"terminate\"\n\n\
     [builder.metadata_options]\nhttp_put_response_hop_limit = 3\ninstance_metadata_tags = \"enabled\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_its_snapshots_and_the_builder_carry_what_the_keys_say() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, CONFIG);
    let run = project.build(203);
    assert!(run.success(), "{run}");
    let ami = run.last_line().to_string();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);

    let images = ec2
        .describe_images()
        .image_ids(&ami)
        .send()
        .await
        .expect("DescribeImages");
    let image = images.images().first().expect("the image");
    assert_eq!(image.imds_support().map(|v| v.as_str()), Some("v2.0"));
    assert_eq!(image.ena_support(), Some(true));
    assert_eq!(image.sriov_net_support(), Some("simple"));
    let image_tags = tags(image.tags());
    assert_eq!(
        image_tags.get("release").map(String::as_str),
        Some("nodeapp-203")
    );
    assert!(!image_tags.contains_key("backup"), "{image_tags:?}");

    let snapshots = image_snapshots(&ec2, &ami).await;
    assert!(!snapshots.is_empty());
    let described = ec2
        .describe_snapshots()
        .set_snapshot_ids(Some(snapshots))
        .send()
        .await
        .expect("DescribeSnapshots");
    for snapshot in described.snapshots() {
        let snapshot_tags = tags(snapshot.tags());
        assert_eq!(
            snapshot_tags.get("backup").map(String::as_str),
            Some("daily-0123456")
        );
        assert_eq!(
            snapshot_tags.get("release").map(String::as_str),
            Some("nodeapp-203")
        );
        assert_eq!(
            snapshot_tags.get("baked-by").map(String::as_str),
            Some("baker")
        );
    }

    let instance = builder(&ec2).await;
    let options = instance.metadata_options().expect("metadata options");
    assert_eq!(options.http_tokens().map(|v| v.as_str()), Some("required"));
    assert_eq!(options.http_put_response_hop_limit(), Some(3));
    assert_eq!(
        options.instance_metadata_tags().map(|v| v.as_str()),
        Some("enabled")
    );
    let attribute = ec2
        .describe_instance_attribute()
        .instance_id(instance.instance_id().unwrap_or_default())
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
        .send()
        .await
        .expect("DescribeInstanceAttribute");
    assert_eq!(
        attribute
            .instance_initiated_shutdown_behavior()
            .and_then(|v| v.value()),
        Some("terminate")
    );
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
}

#[test]
fn each_mistake_is_refused_by_validate_and_build_alike() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[image.tags]\nteam = \"{team}\"\n",
            "image.tags.team",
            "unknown placeholder `{team}`",
        ),
        (
            "[image.snapshot_tags]\nwhen = \"{{timestamp}}\"\n",
            "image.snapshot_tags.when",
            "Packer's spelling",
        ),
        (
            "[image.snapshot_tags]\napp = \"other\"\n",
            "image.snapshot_tags.app",
            "baker sets this tag",
        ),
        (
            "[image]\nimds_support = \"v2\"\n",
            "image.imds_support",
            "\"v2.0\"",
        ),
        (
            "[builder]\nspot_price = \"auto\"\n\n[image]\nena_support = true\n",
            "image.ena_support",
            "spot builder cannot be stopped",
        ),
        (
            "[builder]\nspot_price = \"auto\"\nshutdown_behavior = \"stop\"\n",
            "builder.shutdown_behavior",
            "spot",
        ),
        (
            "[builder]\nshutdown_behavior = \"hibernate\"\n",
            "builder.shutdown_behavior",
            "stop, terminate",
        ),
        (
            "[builder.metadata_options]\nhttp_endpoint = \"disabled\"\n",
            "builder.metadata_options.http_endpoint",
            "SSM",
        ),
        (
            "[builder.metadata_options]\nhttp_put_response_hop_limit = 65\n",
            "builder.metadata_options.http_put_response_hop_limit",
            "between 1 and 64",
        ),
        (
            "[builder.metadata_options]\nhttp_tokens = \"sometimes\"\n",
            "builder.metadata_options.http_tokens",
            "required, optional",
        ),
    ];
    for (config, field, says) in cases {
        same_verdict(&Project::offline(config), &[], field, says);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spot_builder_may_terminate_on_shutdown() {
    let emulator = Emulator::start();
    // A spot builder is not stopped: keep it by failing the image instead.
    emulator.fault("ec2", "CreateImage", "UnauthorizedOperation", 403, 1);
    let project = Project::new(
        &emulator,
        "[builder]\nspot_price = \"auto\"\nshutdown_behavior = \"terminate\"\n",
    );
    let run = project.run(&["build", "--build-number", "208", "--on-error", "abort"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("step `create image` failed"), "{run}");
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let instance = builder(&ec2).await;
    assert_eq!(
        instance.instance_lifecycle().map(|l| l.as_str()),
        Some("spot"),
        "{run}"
    );
    let attribute = ec2
        .describe_instance_attribute()
        .instance_id(instance.instance_id().unwrap_or_default())
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::InstanceInitiatedShutdownBehavior)
        .send()
        .await
        .expect("DescribeInstanceAttribute");
    assert_eq!(
        attribute
            .instance_initiated_shutdown_behavior()
            .and_then(|v| v.value()),
        Some("terminate")
    );
}
