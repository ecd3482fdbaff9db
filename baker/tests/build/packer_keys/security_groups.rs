//! `builder.security_group_ids` / `builder.security_group_filter` (Packer's
//! keys): the builder runs in existing groups, no temporary group is made,
//! and the groups are still there after the build; a group that does not
//! exist, or a filter that matches none, fails before the builder launches.
//!
//! Emulated behaviours relied on: CreateSecurityGroup, DescribeSecurityGroups
//! by id (InvalidGroup.NotFound) and by filters (tags, vpc-id), the call
//! counter, RunInstances recording the groups.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use crate::harness::{Emulator, Project};
use crate::one_verdict::same_verdict;

use super::builder;

/// A group of the default VPC, tagged `role = build`.
async fn group(ec2: &aws_sdk_ec2::Client, name: &str) -> String {
    ec2.create_security_group()
        .group_name(name)
        .description("builders")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .tags(Tag::builder().key("role").value("build").build())
                .build(),
        )
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id()
        .expect("group id")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_uses_the_matching_groups_and_they_stay() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let first = group(&ec2, "build-a").await;
    let second = group(&ec2, "build-b").await;
    let project = Project::new(
        &emulator,
        "[builder.security_group_filter]\n\"tag:role\" = \"build\"\n",
    );
    let run = project.build(204);
    assert!(run.success(), "{run}");
    assert!(run.stderr.contains("no temporary group"), "{run}");
    assert_eq!(emulator.calls().get("ec2:CreateSecurityGroup"), Some(&2));
    assert_eq!(emulator.calls().get("ec2:DeleteSecurityGroup"), None);

    let mut used: Vec<String> = builder(&ec2)
        .await
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    used.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(used, expected);
    let groups = ec2
        .describe_security_groups()
        .group_ids(&first)
        .group_ids(&second)
        .send()
        .await
        .expect("the groups are still there");
    assert_eq!(groups.security_groups().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_group_or_a_filter_matching_none_fails_before_the_launch() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let kept = group(&ec2, "build-a").await;
    for (config, says) in [
        (
            "[builder]\nsecurity_group_ids = [\"sg-0123456789abcdef0\"]\n",
            "sg-0123456789abcdef0",
        ),
        (
            "[builder.security_group_filter]\n\"tag:role\" = \"nope\"\n",
            "matches no security group",
        ),
    ] {
        let project = Project::new(&emulator, config);
        let run = project.build(205);
        assert_eq!(run.code, Some(1), "{run}");
        assert!(run.stderr.contains("step `security group` failed"), "{run}");
        assert!(run.stderr.contains(says), "{says} in {run}");
    }
    assert_eq!(emulator.calls().get("ec2:RunInstances"), None);
    let groups = ec2.describe_security_groups().group_ids(&kept).send().await;
    assert!(groups.is_ok(), "the user's group is never deleted");
}

#[test]
fn ids_and_a_filter_together_or_a_bad_id_are_refused_by_validate_and_build() {
    let project = Project::offline(
        "[builder]\nsecurity_group_ids = [\"sg-0abc\"]\n\n[builder.security_group_filter]\n\"tag:role\" = \"build\"\n",
    );
    same_verdict(&project, &[], "builder.security_group_filter", "not both");
    let project = Project::offline("[builder]\nsecurity_group_ids = [\"web\"]\n");
    same_verdict(
        &project,
        &[],
        "builder.security_group_ids",
        "not a security group id",
    );
}
