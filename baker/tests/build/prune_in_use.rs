//! Prune never removes an image something still uses: an autoscaling group
//! pinned to an older launch template version, a mixed instances policy's
//! override, a stopped instance; `--dry-run` says why each image is kept.
//! The app's snapshots that no image uses are deleted.
//!
//! Emulated behaviours relied on: launch templates and their versions
//! (`$Default` / `$Latest` resolved), autoscaling groups with a launch
//! template or a mixed instances policy (no instances at capacity 0),
//! RunInstances / StopInstances, CreateSnapshot with tags.

use aws_sdk_autoscaling::types::{
    LaunchTemplate, LaunchTemplateOverrides, LaunchTemplateSpecification, MixedInstancesPolicy,
};
use aws_sdk_ec2::types::{Filter, RequestLaunchTemplateData, ResourceType, Tag, TagSpecification};

use crate::harness::{Emulator, Leftovers, Project};

/// Builds `build` and returns the new image's id.
fn bake(project: &Project, build: u32) -> String {
    let run = project.build(build);
    assert!(run.success(), "{run}");
    run.last_line().to_string()
}

async fn new_version(ec2: &aws_sdk_ec2::Client, template: &str, image: &str) -> i64 {
    ec2.create_launch_template_version()
        .launch_template_id(template)
        .launch_template_data(RequestLaunchTemplateData::builder().image_id(image).build())
        .send()
        .await
        .expect("CreateLaunchTemplateVersion")
        .launch_template_version()
        .and_then(|v| v.version_number())
        .expect("a version number")
}

fn spec(template: &str, version: &str) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_id(template)
        .version(version)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_autoscaling_groups_use_are_kept_and_dry_run_says_why() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[image]\nkeep = 1\n");
    let sdk = emulator.sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let autoscaling = aws_sdk_autoscaling::Client::new(&sdk);

    // Version 1 (image a) is the default while b and c are built.
    let a = bake(&project, 81);
    let template = ec2
        .create_launch_template()
        .launch_template_name("web")
        .launch_template_data(RequestLaunchTemplateData::builder().image_id(&a).build())
        .send()
        .await
        .expect("CreateLaunchTemplate")
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .expect("a template id")
        .to_string();
    let b = bake(&project, 82);
    new_version(&ec2, &template, &b).await;
    let c = bake(&project, 83);
    let latest = new_version(&ec2, &template, &c).await;
    ec2.modify_launch_template()
        .launch_template_id(&template)
        .default_version(latest.to_string())
        .send()
        .await
        .expect("ModifyLaunchTemplate");
    // Now the template's default and latest are c; a group pinned to
    // version 1 (a rolled-back rollout) and a mixed group whose override
    // pins version 2 still launch a and b.
    autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name("pinned")
        .launch_template(spec(&template, "1"))
        .min_size(0)
        .max_size(2)
        .desired_capacity(0)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("CreateAutoScalingGroup pinned");
    let mixed = MixedInstancesPolicy::builder()
        .launch_template(
            LaunchTemplate::builder()
                .launch_template_specification(spec(&template, "$Latest"))
                .overrides(
                    LaunchTemplateOverrides::builder()
                        .instance_type("t3.small")
                        .launch_template_specification(spec(&template, "2"))
                        .build(),
                )
                .build(),
        )
        .build();
    autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name("mixed")
        .mixed_instances_policy(mixed)
        .min_size(0)
        .max_size(2)
        .desired_capacity(0)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("CreateAutoScalingGroup mixed");

    let dry = project.run(&["prune", "--keep", "1", "--dry-run"]);
    assert!(dry.success(), "{dry}");
    let line_of = |image: &str| {
        dry.stdout
            .lines()
            .find(|l| l.starts_with("keep") && l.contains(image))
            .unwrap_or_else(|| panic!("no keep line for {image}: {dry}"))
            .to_string()
    };
    assert!(
        line_of(&a).contains(&format!(
            "kept: used by autoscaling group pinned ({template} version 1)"
        )),
        "{dry}"
    );
    assert!(
        line_of(&b).contains(&format!(
            "kept: used by autoscaling group mixed ({template} version 2)"
        )),
        "{dry}"
    );
    assert!(
        line_of(&c).contains(&format!(
            "kept: used by launch template {template} (web) version 3, the default"
        )),
        "{dry}"
    );

    let prune = project.run(&["prune", "--keep", "1", "--output", "json"]);
    assert!(prune.success(), "{prune}");
    let json: serde_json::Value = serde_json::from_str(prune.last_line()).expect("JSON");
    assert_eq!(json["removed"], serde_json::json!([]), "{prune}");
    assert!(
        json["why_kept"][&c]
            .as_str()
            .is_some_and(|r| r.contains("autoscaling group mixed")),
        "{prune}"
    );
    assert_eq!(Leftovers::count(&emulator).await.images.len(), 3);

    // Once the pinned group follows the default, its old image may go.
    autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name("pinned")
        .launch_template(spec(&template, "$Default"))
        .send()
        .await
        .expect("UpdateAutoScalingGroup");
    // Images nothing uses count toward `keep`: a newer build removes a.
    let d = bake(&project, 84);
    let images = Leftovers::count(&emulator).await.images;
    assert!(!images.contains(&a), "{images:?}");
    for kept in [&b, &c, &d] {
        assert!(images.contains(kept), "{kept}: {images:?}");
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_instance_keeps_its_image() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[image]\nkeep = 1\n");
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let old = bake(&project, 91);
    let run = ec2
        .run_instances()
        .image_id(&old)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances");
    let instance = run.instances()[0]
        .instance_id()
        .expect("an instance id")
        .to_string();
    ec2.stop_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("StopInstances");

    let second = project.build(92);
    assert!(second.success(), "{second}");
    assert!(
        second.stderr.contains(&format!("left alone {old}")),
        "{second}"
    );
    assert!(
        second
            .stderr
            .contains(&format!("used by instance {instance} (stop")),
        "{second}"
    );
    let dry = project.run(&["prune", "--keep", "1", "--dry-run"]);
    assert!(
        dry.stdout
            .contains(&format!("kept: used by instance {instance} (stop")),
        "{dry}"
    );
    let newest = second.last_line();
    assert!(
        dry.stdout
            .lines()
            .any(|l| l.contains(newest) && l.ends_with("kept: one of the newest 1")),
        "{dry}"
    );
    assert!(Leftovers::count(&emulator).await.images.contains(&old));
}

async fn snapshot(ec2: &aws_sdk_ec2::Client, volume: &str, tags: &[(&str, &str)]) -> String {
    let mut spec = TagSpecification::builder().resource_type(ResourceType::Snapshot);
    for (key, value) in tags {
        spec = spec.tags(Tag::builder().key(*key).value(*value).build());
    }
    ec2.create_snapshot()
        .volume_id(volume)
        .tag_specifications(spec.build())
        .send()
        .await
        .expect("CreateSnapshot")
        .snapshot_id()
        .expect("a snapshot id")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_of_ours_that_no_image_uses_are_swept() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let image = bake(&project, 95);
    let volume = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(1)
        .send()
        .await
        .expect("CreateVolume")
        .volume_id()
        .expect("a volume id")
        .to_string();
    let orphan = snapshot(&ec2, &volume, &[("baked-by", "baker"), ("app", "nodeapp")]).await;
    let other_app = snapshot(&ec2, &volume, &[("baked-by", "baker"), ("app", "other")]).await;
    let not_ours = snapshot(&ec2, &volume, &[("app", "nodeapp")]).await;
    // Bounded: the new snapshots complete.
    for _ in 0..200 {
        let out = ec2
            .describe_snapshots()
            .snapshot_ids(&orphan)
            .send()
            .await
            .expect("DescribeSnapshots");
        if out.snapshots()[0]
            .state()
            .is_some_and(|s| s.as_str() == "completed")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let dry = project.run(&["prune", "--dry-run"]);
    assert!(dry.success(), "{dry}");
    assert!(
        dry.stdout.contains(&format!(
            "would remove orphaned snapshot {orphan}: no image uses it"
        )),
        "{dry}"
    );
    for kept in [&other_app, &not_ours] {
        assert!(!dry.stdout.contains(kept.as_str()), "{kept}: {dry}");
    }

    let prune = project.run(&["prune", "--output", "json"]);
    assert!(prune.success(), "{prune}");
    let json: serde_json::Value = serde_json::from_str(prune.last_line()).expect("JSON");
    assert_eq!(
        json["orphaned_snapshots"],
        serde_json::json!([orphan]),
        "{prune}"
    );
    let left: Vec<String> = ec2
        .describe_snapshots()
        .owner_ids("self")
        .filters(Filter::builder().name("volume-id").values(&volume).build())
        .send()
        .await
        .expect("DescribeSnapshots")
        .snapshots()
        .iter()
        .filter_map(|s| s.snapshot_id().map(str::to_string))
        .collect();
    assert!(!left.contains(&orphan), "{left:?}");
    assert!(
        left.contains(&other_app) && left.contains(&not_ours),
        "{left:?}"
    );
    // The image's own snapshot is in use by it and stays.
    let snapshots = crate::harness::ec2_view::image_snapshots(&ec2, &image).await;
    assert!(!snapshots.is_empty());
    let all = Leftovers::count(&emulator).await.snapshots;
    assert!(snapshots.iter().all(|s| all.contains(s)), "{all:?}");
}
