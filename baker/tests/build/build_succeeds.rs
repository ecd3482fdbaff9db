//! A build succeeds: the image exists with its name and tags, its snapshots
//! are tagged, the manifest is written, the AMI id is the last line, and no
//! builder, security group, role, profile, bucket or object is left.
//!
//! Emulated behaviours relied on: DescribeInstanceInformation (instances with
//! a profile are Online), SendCommand/ListCommands recording the exact
//! parameters (nothing is executed), CreateImage available at once.

use baker::provision::{self, Plan};
use base64::Engine as _;

use crate::harness::ec2_view::tags as tag_map;
use crate::harness::project::{COMMIT, repo_root};
use crate::harness::{Emulator, Leftovers, Project};

/// The `commands` parameter of every SendCommand, in order.
pub(crate) async fn sent_scripts(emulator: &Emulator) -> Vec<String> {
    let ssm = aws_sdk_ssm::Client::new(&emulator.sdk().await);
    let listed = ssm.list_commands().send().await.expect("ListCommands");
    let mut commands: Vec<_> = listed.commands().to_vec();
    commands.sort_by_key(|c| c.requested_date_time().map(|d| d.as_nanos()));
    commands
        .iter()
        .map(|c| {
            assert_eq!(c.document_name(), Some("AWS-RunShellScript"));
            let params = c.parameters().expect("parameters");
            params
                .get("commands")
                .and_then(|v| v.first())
                .cloned()
                .expect("commands parameter")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_bakes_a_tagged_image_and_leaves_nothing_else() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let run = project.build(7);
    assert!(run.success(), "{run}");
    let ami = run.last_line().to_string();
    assert!(ami.starts_with("ami-"), "{run}");

    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let images = ec2
        .describe_images()
        .image_ids(&ami)
        .send()
        .await
        .expect("DescribeImages");
    let image = images.images().first().expect("the image exists");
    assert_eq!(image.name(), Some("nodeapp-7-0123456"));
    let tags = tag_map(image.tags());
    assert_eq!(tags.get("app").map(String::as_str), Some("nodeapp"));
    assert_eq!(tags.get("commit").map(String::as_str), Some(COMMIT));
    assert_eq!(tags.get("build").map(String::as_str), Some("7"));
    assert_eq!(tags.get("baked-by").map(String::as_str), Some("baker"));
    assert!(
        tags.get("source-ami")
            .is_some_and(|s| s.starts_with("ami-")),
        "{tags:?}"
    );

    let snapshot_ids: Vec<String> = image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(String::from))
        .collect();
    assert!(!snapshot_ids.is_empty());
    let snapshots = ec2
        .describe_snapshots()
        .set_snapshot_ids(Some(snapshot_ids.clone()))
        .send()
        .await
        .expect("snapshots");
    for snapshot in snapshots.snapshots() {
        let snapshot_tags = tag_map(snapshot.tags());
        for key in ["app", "commit", "build", "baked-by", "source-ami"] {
            assert_eq!(snapshot_tags.get(key), tags.get(key), "snapshot tag {key}");
        }
    }

    let manifest = project.manifest();
    let build = &manifest["builds"][0];
    assert_eq!(build["artifact_id"], format!("us-east-1:{ami}"));
    assert_eq!(build["custom_data"]["commit"], COMMIT);
    assert_eq!(build["custom_data"]["build"], "7");
    assert!(build["build_time"].as_u64().is_some_and(|t| t > 0));

    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    assert_eq!(left.images, vec![ami.clone()]);
    let mut left_snapshots = left.snapshots.clone();
    left_snapshots.sort();
    let mut expected = snapshot_ids;
    expected.sort();
    assert_eq!(left_snapshots, expected);

    // The exact scripts sent: the bundle inline, the provisioning plan,
    // then the generalize plan.
    let scripts = sent_scripts(&emulator).await;
    assert_eq!(scripts.len(), 3, "{scripts:#?}");
    let root = repo_root();
    let bundle = baker::bundle::pack(
        &root.join("app"),
        &root.join("systemd/nodeapp.service"),
        &[],
    )
    .expect("bundle");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bundle.bytes);
    assert_eq!(scripts[0], provision::fetch_inline(&encoded));
    let plan = Plan {
        app: "nodeapp".into(),
        unit: "nodeapp.service".into(),
        port: 8080,
        commit: COMMIT.into(),
        build: "7".into(),
        node_package: "nodejs".into(),
        health_timeout: 30,
    };
    assert_eq!(scripts[1], plan.render());
    assert_eq!(scripts[2], baker::generalize::render("nodeapp.service"));
    for line in [
        "commit='0123456789abcdef0123456789abcdef01234567'",
        "build='7'",
        "APP_COMMIT=%s\\nAPP_BUILD=%s\\nAPP_PORT=%s\\n' \"$commit\" \"$build\" 8080",
        "cloud-init status --wait",
        "install -m 0644 \"$stage/unit/$unit\" \"/etc/systemd/system/$unit\"",
        "systemctl enable \"$unit\"",
        "app_dir='/opt/nodeapp'",
    ] {
        assert!(scripts[1].contains(line), "{line:?} in the plan");
    }

    // Within the budget of API calls (prune's reads of what uses images —
    // templates, groups, instances — and of orphaned snapshots included).
    let total: u64 = emulator.calls().values().sum();
    assert!(total <= 48, "{total} calls: {:#?}", emulator.calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_app_travels_through_s3_and_the_object_is_removed() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[delivery]\ninline_limit = 64\n");
    let run = project.run(&["build", "--build-number", "3", "--output", "json"]);
    assert!(run.success(), "{run}");
    let json: serde_json::Value = serde_json::from_str(run.last_line()).expect("JSON output");
    let ami = json["ami_id"].as_str().expect("ami_id").to_string();
    assert_eq!(json["name"], "nodeapp-3-0123456");

    let scripts = sent_scripts(&emulator).await;
    assert!(scripts[0].contains("presigned URL"), "{}", scripts[0]);
    assert!(scripts[0].contains("X-Amz-Signature"), "{}", scripts[0]);
    assert!(scripts[0].contains("bundle.tar.gz"), "{}", scripts[0]);
    let calls = emulator.calls();
    assert_eq!(calls.get("s3:PutObject"), Some(&1), "{calls:#?}");

    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    assert_eq!(left.images, vec![ami]);
}
