//! `source.filters`, `source.most_recent` and `source.owners` (Packer's
//! `source_ami_filter`): arbitrary DescribeImages filters choose the base
//! image; nothing matching, or several without `most_recent`, fails the
//! build before anything is created.
//!
//! Emulated behaviours relied on: RegisterImage, CreateTags, DescribeImages
//! with owners and tag filters, fault injection (`--on-error=abort`).

use aws_sdk_ec2::types::Tag;

use super::{builder, kept_build};
use crate::harness::{Emulator, Leftovers, Project};
use crate::one_verdict::same_verdict;

/// An image of this account named `name`, tagged `base = base`.
async fn image(ec2: &aws_sdk_ec2::Client, name: &str, base: &str) -> String {
    let id = ec2
        .register_image()
        .name(name)
        .root_device_name("/dev/xvda")
        .send()
        .await
        .expect("RegisterImage")
        .image_id()
        .expect("image id")
        .to_string();
    ec2.create_tags()
        .resources(&id)
        .tags(Tag::builder().key("base").value(base).build())
        .send()
        .await
        .expect("CreateTags");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filters_choose_the_base_image() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    image(&ec2, "base-web-1", "web").await;
    let db = image(&ec2, "base-db-1", "db").await;
    let (_project, run) = kept_build(
        &emulator,
        "[source]\nowners = [\"self\"]\nmost_recent = false\n\n\
         [source.filters]\n\"tag:base\" = \"db\"\nname = \"base-*\"\n",
        &[],
    );
    assert!(run.stderr.contains(&format!("{db} (base-db-1)")), "{run}");
    assert_eq!(builder(&ec2).await.image_id(), Some(db.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_match_or_several_without_most_recent_fail_before_anything_is_made() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let first = image(&ec2, "base-web-1", "web").await;
    let second = image(&ec2, "base-web-2", "web").await;
    let cases = [
        (
            "[source]\nowners = [\"self\"]\nmost_recent = false\n\n\
             [source.filters]\n\"tag:base\" = \"web\"\n",
            "2 images owned by self match {state=available, tag:base=web}",
        ),
        (
            "[source]\nowners = [\"self\"]\n\n[source.filters]\n\"tag:base\" = \"nope\"\n",
            "no image owned by self matches {state=available, tag:base=nope}",
        ),
    ];
    for (config, message) in cases {
        let before = emulator.calls();
        let project = Project::new(&emulator, config);
        let run = project.build(202);
        assert_eq!(run.code, Some(1), "{run}");
        assert!(
            run.stderr.contains("step `resolve source AMI` failed"),
            "{run}"
        );
        assert!(run.stderr.contains(message), "{message} in {run}");
        if message.starts_with('2') {
            assert!(
                run.stderr.contains(&first) && run.stderr.contains(&second),
                "{run}"
            );
            assert!(run.stderr.contains("source.most_recent = true"), "{run}");
        }
        let after = emulator.calls();
        for action in [
            "iam:CreateRole",
            "ec2:CreateSecurityGroup",
            "ec2:RunInstances",
        ] {
            assert_eq!(after.get(action), before.get(action), "{action}: {run}");
        }
    }
    let left = Leftovers::count(&emulator).await;
    assert!(
        left.instances.is_empty() && left.security_groups.is_empty(),
        "{left}"
    );
}

#[test]
fn filters_beside_an_ami_id_or_a_name_are_refused_by_validate_and_build() {
    let project = Project::offline(
        "[source]\nami = \"ami-0123456789abcdef0\"\n\n[source.filters]\n\"tag:base\" = \"web\"\n",
    );
    same_verdict(&project, &[], "source.filters", "not both");
    let project =
        Project::offline("[source]\nname = \"mine-*\"\n\n[source.filters]\nname = \"\"\n");
    same_verdict(
        &project,
        &[],
        "source.name",
        "not together with source.filters",
    );
    same_verdict(&project, &[], "source.filters.name", "needs a value");
}
