//! `builder.subnet_filter` / `builder.vpc_filter` (Packer's keys): the
//! builder goes to the matching subnet with the most free addresses
//! (`builder.subnet_filter_most_free`, on by default), in the one VPC the VPC
//! filter matches, and its temporary group is in that subnet's VPC; a filter
//! matching nothing (or a VPC filter matching two VPCs) fails the build
//! before anything is created; a filter beside `builder.subnet_id` is a
//! configuration mistake.
//!
//! Emulated behaviours relied on: DescribeVpcs / DescribeSubnets filters
//! (tags, vpc-id), AvailableIpAddressCount from the subnet's CIDR, fault
//! injection (`--on-error=abort` keeps the builder to look at), the call
//! counter.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use crate::harness::{Emulator, Leftovers, Project};

fn tagged(resource: ResourceType, key: &str, value: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key(key).value(value).build())
        .build()
}

async fn vpc(ec2: &aws_sdk_ec2::Client, cidr: &str, name: &str) -> String {
    ec2.create_vpc()
        .cidr_block(cidr)
        .tag_specifications(tagged(ResourceType::Vpc, "Name", name))
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string()
}

async fn subnet(ec2: &aws_sdk_ec2::Client, vpc: &str, cidr: &str, tier: &str) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .tag_specifications(tagged(ResourceType::Subnet, "tier", tier))
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string()
}

/// Two VPCs: `build` (a small and a large `tier=build` subnet, one `other`)
/// and `extra` (an even larger `tier=build` subnet). Returns the ids.
struct Network {
    build_vpc: String,
    build_large: String,
    extra_vpc: String,
    extra_larger: String,
}

async fn network(ec2: &aws_sdk_ec2::Client) -> Network {
    let build_vpc = vpc(ec2, "10.1.0.0/16", "build").await;
    subnet(ec2, &build_vpc, "10.1.1.0/26", "build").await;
    let build_large = subnet(ec2, &build_vpc, "10.1.2.0/24", "build").await;
    subnet(ec2, &build_vpc, "10.1.4.0/22", "other").await;
    let extra_vpc = vpc(ec2, "10.2.0.0/16", "extra").await;
    let extra_larger = subnet(ec2, &extra_vpc, "10.2.0.0/23", "build").await;
    Network {
        build_vpc,
        build_large,
        extra_vpc,
        extra_larger,
    }
}

/// The kept builder's subnet and its temporary group's VPC.
async fn placed(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let left = ec2.describe_instances().send().await.expect("instances");
    let instance = left
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.tags().iter().any(|t| t.key() == Some("baker:build-id")))
        .expect("the builder")
        .clone();
    let groups = ec2.describe_security_groups().send().await.expect("groups");
    let group = groups
        .security_groups()
        .iter()
        .find(|g| {
            g.group_name()
                .is_some_and(|n| n.starts_with("baker-nodeapp-"))
        })
        .expect("the temporary group");
    (
        instance.subnet_id().unwrap_or_default().to_string(),
        group.vpc_id().unwrap_or_default().to_string(),
    )
}

/// A build kept at its failure (`--on-error=abort`) to look at the builder.
fn kept_build(emulator: &Emulator, config: &str, extra: &[&str]) -> crate::harness::project::Run {
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(emulator, config);
    let mut args = vec!["build", "--build-number", "111", "--on-error", "abort"];
    args.extend_from_slice(extra);
    let run = project.run(&args);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("step `stop builder` failed"), "{run}");
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matching_subnet_with_most_free_addresses_wins_and_holds_the_group() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let net = network(&ec2).await;
    // The filter comes from --set (a map key, like run_tags).
    let run = kept_build(
        &emulator,
        "",
        &["--set", "builder.subnet_filter.tag:tier=build"],
    );
    assert!(run.stderr.contains(&net.extra_larger), "{run}");
    assert!(run.stderr.contains("3 subnets matched"), "{run}");
    assert_eq!(
        placed(&ec2).await,
        (net.extra_larger.clone(), net.extra_vpc.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vpc_filter_narrows_the_subnets_to_its_vpc() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let net = network(&ec2).await;
    let run = kept_build(
        &emulator,
        "[builder.vpc_filter]\n\"tag:Name\" = \"build\"\n\n\
         [builder.subnet_filter]\n\"tag:tier\" = \"build\"\n",
        &[],
    );
    assert!(run.stderr.contains("2 subnets matched"), "{run}");
    assert_eq!(
        placed(&ec2).await,
        (net.build_large.clone(), net.build_vpc.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_that_matches_nothing_fails_before_anything_is_created() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    network(&ec2).await;
    let cases = [
        (
            "[builder.subnet_filter]\n\"tag:tier\" = \"nope\"\n",
            "builder.subnet_filter {tag:tier=nope}: no subnet matches",
        ),
        (
            "[builder.vpc_filter]\n\"tag:Name\" = \"nope\"\n",
            "builder.vpc_filter {tag:Name=nope} matches no VPC",
        ),
        (
            "[builder.vpc_filter]\ncidr = \"10.*\"\n",
            "builder.vpc_filter {cidr=10.*} matches 2 VPCs",
        ),
        (
            "[builder]\nsubnet_filter_most_free = false\n\n\
             [builder.subnet_filter]\n\"tag:tier\" = \"build\"\n",
            "3 subnets match",
        ),
    ];
    for (config, message) in cases {
        let before = emulator.calls();
        let project = Project::new(&emulator, config);
        let run = project.build(112);
        assert_eq!(run.code, Some(1), "{run}");
        assert!(run.stderr.contains("step `choose subnet` failed"), "{run}");
        assert!(run.stderr.contains(message), "{message} in {run}");
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
    assert!(left.nothing(), "{left}");
}

#[test]
fn a_filter_beside_a_subnet_id_is_named_by_validate_and_build() {
    let project = Project::offline(
        "[builder]\nsubnet_id = \"subnet-0abc\"\n\n[builder.subnet_filter]\n\"tag:tier\" = \"build\"\n",
    );
    for args in [&["validate"][..], &["build", "--build-number", "1"][..]] {
        let run = project.run(args);
        assert_eq!(run.code, Some(2), "{run}");
        assert!(
            run.stderr
                .contains("builder.subnet_filter: set builder.subnet_id"),
            "{run}"
        );
    }
    // The environment's form: name=value pairs.
    let run = project
        .command(&["validate"])
        .env("BAKER_BUILDER_VPC_FILTER", "tag:Name=build")
        .output()
        .expect("baker validate");
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("builder.vpc_filter: set builder.subnet_id"),
        "{stderr}"
    );
}
