//! A spot builder (`builder.spot_price`, `builder.spot_instance_types`,
//! Packer's keys): RunInstances asks for the spot market, one-time and
//! terminated on interruption; with no spot capacity the build falls back
//! to on-demand and says so (unless `builder.spot_fallback = false`); the
//! cleanup cancels the spot request and terminates the builder either way.
//!
//! A spot builder is never stopped: AWS refuses StopInstances for an
//! instance of a one-time spot request, so the image is made from the
//! running builder (CreateImage reboots it).
//!
//! Emulated behaviours relied on: RunInstances with InstanceMarketOptions
//! giving `InstanceLifecycle = spot` and a one-time spot request
//! (`ec2/spot.py`), StopInstances refusing such an instance with
//! `UnsupportedOperation` (`ec2/spot.py`), CancelSpotInstanceRequests,
//! fault injection with AWS's capacity error codes (`/_emulator/faults`),
//! the call counter.

use crate::harness::{Emulator, Leftovers, Project};

async fn ec2(emulator: &Emulator) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&emulator.sdk().await)
}

/// The build's builder (terminated or not), by its build-id tag.
async fn builder(emulator: &Emulator) -> aws_sdk_ec2::types::Instance {
    let described = ec2(emulator)
        .await
        .describe_instances()
        .send()
        .await
        .expect("instances");
    let builders: Vec<_> = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| i.tags().iter().any(|t| t.key() == Some("baker:build-id")))
        .cloned()
        .collect();
    assert_eq!(builders.len(), 1, "one builder: {builders:#?}");
    builders[0].clone()
}

async fn open_spot_requests(emulator: &Emulator) -> Vec<String> {
    let out = ec2(emulator)
        .await
        .describe_spot_instance_requests()
        .send()
        .await
        .expect("spot requests");
    out.spot_instance_requests()
        .iter()
        .filter(|r| {
            matches!(
                r.state().map(|s| s.as_str()),
                Some("open" | "active" | "disabled")
            )
        })
        .filter_map(|r| r.spot_instance_request_id().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spot_builder_is_launched_in_the_spot_market_and_its_request_cancelled() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[builder]\nspot_price = \"0.05\"\n");
    let run = project.build(101);
    assert!(run.success(), "{run}");
    assert!(run.stderr.contains("(t3.micro, spot) running"), "{run}");
    assert!(run.stderr.contains("cancelled spot request sir-"), "{run}");
    assert!(
        run.stderr
            .contains("is a spot instance: not stopped (AWS cannot stop a one-time spot instance)"),
        "{run}"
    );

    let instance = builder(&emulator).await;
    assert_eq!(
        instance.instance_lifecycle().map(|l| l.as_str()),
        Some("spot"),
        "{instance:#?}"
    );
    assert!(
        instance.spot_instance_request_id().is_some(),
        "{instance:#?}"
    );
    let calls = emulator.calls();
    assert_eq!(calls.get("ec2:RunInstances"), Some(&1), "{calls:#?}");
    assert_eq!(calls.get("ec2:StopInstances"), None, "{calls:#?}");
    assert_eq!(calls.get("ec2:CreateImage"), Some(&1), "{calls:#?}");
    assert_eq!(
        calls.get("ec2:CancelSpotInstanceRequests"),
        Some(&1),
        "{calls:#?}"
    );
    assert!(open_spot_requests(&emulator).await.is_empty());
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_spot_capacity_for_any_type_falls_back_to_on_demand_and_says_so() {
    let emulator = Emulator::start();
    // InsufficientInstanceCapacity is a server error (500), which the SDK
    // retries: two attempts per call, two spot types, then on-demand works.
    emulator.fault(
        "ec2",
        "RunInstances",
        "InsufficientInstanceCapacity",
        500,
        4,
    );
    let project = Project::new(
        &emulator,
        "[builder]\nspot_price = \"auto\"\nspot_instance_types = [\"t3.small\", \"t3a.small\"]\n",
    );
    let run = project.run(&[
        "build",
        "--build-number",
        "102",
        "--set",
        "aws.max_attempts=2",
    ]);
    assert!(run.success(), "{run}");
    assert!(
        run.stderr
            .contains("t3.small, spot: InsufficientInstanceCapacity"),
        "{run}"
    );
    assert!(
        run.stderr.contains("; trying t3a.small, spot instead"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("falling back to on-demand t3.small (builder.spot_fallback)"),
        "{run}"
    );
    assert!(
        run.stderr.contains("(t3.small, on-demand) running"),
        "{run}"
    );

    let instance = builder(&emulator).await;
    assert_eq!(instance.instance_lifecycle(), None, "{instance:#?}");
    assert_eq!(
        instance.instance_type().map(|t| t.as_str()),
        Some("t3.small")
    );
    let calls = emulator.calls();
    assert_eq!(calls.get("ec2:RunInstances"), Some(&5), "{calls:#?}");
    // An on-demand builder is stopped before it is imaged.
    assert_eq!(calls.get("ec2:StopInstances"), Some(&1), "{calls:#?}");
    assert_eq!(calls.get("ec2:CancelSpotInstanceRequests"), None);
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_fallback_no_capacity_fails_the_build_and_leaves_nothing() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "RunInstances", "SpotMaxPriceTooLow", 400, 1);
    let project = Project::new(
        &emulator,
        "[builder]\nspot_price = \"0.001\"\nspot_fallback = false\n",
    );
    let run = project.build(103);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("step `launch builder` failed"), "{run}");
    assert!(run.stderr.contains("SpotMaxPriceTooLow"), "{run}");
    assert!(
        run.stderr.contains("builder.spot_fallback = false"),
        "{run}"
    );
    assert_eq!(emulator.calls().get("ec2:RunInstances"), Some(&1));
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spot_builder_interrupted_by_a_failure_is_terminated_and_its_request_cancelled() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "CreateImage", "UnauthorizedOperation", 403, 1);
    let project = Project::new(&emulator, "[builder]\nspot_price = \"auto\"\n");
    let run = project.build(104);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("step `create image` failed"), "{run}");
    assert!(run.stderr.contains("cancelled spot request sir-"), "{run}");
    let instance = builder(&emulator).await;
    assert_eq!(
        instance.instance_lifecycle().map(|l| l.as_str()),
        Some("spot")
    );
    assert!(open_spot_requests(&emulator).await.is_empty());
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}

#[test]
fn bad_spot_settings_are_named_by_validate_and_refused_by_build() {
    let project = Project::offline(
        "[builder]\nspot_price = \"cheap\"\ninstance_type = \"m5.large\"\n\
         spot_instance_types = [\"t3.small\"]\n",
    );
    for args in [&["validate"][..], &["build", "--build-number", "1"][..]] {
        let run = project.run(args);
        assert_eq!(run.code, Some(2), "{run}");
        assert!(
            run.stderr.contains("builder.spot_price: \"cheap\""),
            "{run}"
        );
        assert!(
            run.stderr
                .contains("builder.spot_instance_types: set builder.instance_type"),
            "{run}"
        );
    }
    // An environment override is checked the same way.
    let project = Project::offline("");
    let run = project
        .command(&["validate"])
        .env("BAKER_BUILDER_SPOT_PRICE", "-1")
        .output()
        .expect("baker validate");
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("builder.spot_price: \"-1\""), "{stderr}");
}

/// What the spot build above relies on: the emulator, as AWS, refuses to
/// stop a spot builder (a one-time request), so a build that stopped it
/// would fail at that step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_refuses_to_stop_a_one_time_spot_builder() {
    use aws_sdk_ec2::types::{InstanceMarketOptionsRequest, MarketType};
    use roundrobin_aws::AwsErrorDetail;

    let emulator = Emulator::start();
    let ec2 = ec2(&emulator).await;
    let image = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("images")
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("an image");
    let launched = ec2
        .run_instances()
        .image_id(image)
        .min_count(1)
        .max_count(1)
        .instance_market_options(
            InstanceMarketOptionsRequest::builder()
                .market_type(MarketType::Spot)
                .build(),
        )
        .send()
        .await
        .expect("spot launch");
    let id = launched.instances()[0]
        .instance_id()
        .expect("instance id")
        .to_string();
    let refused = ec2
        .stop_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect_err("a one-time spot instance cannot be stopped");
    assert_eq!(
        refused.code(),
        Some("UnsupportedOperation"),
        "{}",
        refused.describe()
    );
}
