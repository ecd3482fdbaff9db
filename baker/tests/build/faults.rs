//! For every step that creates something in AWS, a build failed at that
//! step names the step and the AWS error, exits non-zero and leaves nothing
//! behind; throttling is retried; `--on-error=abort` leaves the builder.
//!
//! Emulated behaviours relied on: fault injection per service and action
//! (`/_emulator/faults`), the call counter, DescribeInstanceInformation.

use crate::harness::{Emulator, Leftovers, Project};

struct Case {
    service: &'static str,
    action: &'static str,
    /// The step the error must name.
    step: &'static str,
    /// Extra `baker.toml` (e.g. a tiny inline limit for the S3 path).
    config: &'static str,
}

const S3: &str = "[delivery]\ninline_limit = 64\n";

const CASES: &[Case] = &[
    Case {
        service: "iam",
        action: "CreateRole",
        step: "instance profile",
        config: "",
    },
    Case {
        service: "iam",
        action: "AttachRolePolicy",
        step: "instance profile",
        config: "",
    },
    Case {
        service: "iam",
        action: "CreateInstanceProfile",
        step: "instance profile",
        config: "",
    },
    Case {
        service: "iam",
        action: "AddRoleToInstanceProfile",
        step: "instance profile",
        config: "",
    },
    Case {
        service: "ec2",
        action: "CreateSecurityGroup",
        step: "security group",
        config: "",
    },
    Case {
        service: "ec2",
        action: "RunInstances",
        step: "launch builder",
        config: "",
    },
    Case {
        service: "ssm",
        action: "DescribeInstanceInformation",
        step: "wait for SSM agent",
        config: "",
    },
    Case {
        service: "ssm",
        action: "SendCommand",
        step: "deliver app",
        config: "",
    },
    Case {
        service: "s3",
        action: "CreateBucket",
        step: "deliver app",
        config: S3,
    },
    Case {
        service: "s3",
        action: "PutObject",
        step: "deliver app",
        config: S3,
    },
    Case {
        service: "ec2",
        action: "StopInstances",
        step: "stop builder",
        config: "",
    },
    Case {
        service: "ec2",
        action: "CreateImage",
        step: "create image",
        config: "",
    },
    Case {
        service: "ec2",
        action: "CreateTags",
        step: "create image",
        config: "",
    },
];

/// An error AWS does not retry, in each service's own words.
fn access_denied(service: &str) -> (&'static str, u16) {
    match service {
        "ec2" => ("UnauthorizedOperation", 403),
        "ssm" => ("AccessDeniedException", 400),
        _ => ("AccessDenied", 403),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_at_each_step_fails_the_build_and_leaves_nothing() {
    let emulator = Emulator::start();
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        emulator.reset();
        let (code, status) = access_denied(case.service);
        emulator.fault(case.service, case.action, code, status, 1);
        let project = Project::new(&emulator, case.config);
        let run = project.build(i as u32 + 1);
        let left = Leftovers::count(&emulator).await;
        let named = run.stderr.contains(&format!("step `{}` failed", case.step))
            && run.stderr.contains(case.action)
            && run.stderr.contains(code)
            && run
                .stderr
                .contains(&format!("injected {} failure", case.action));
        if run.code != Some(1) || !named || !left.nothing() {
            failures.push(format!(
                "{}:{} -> {run}\nleft: {left}",
                case.service, case.action
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_and_the_build_succeeds() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "RunInstances", "RequestLimitExceeded", 400, 2);
    emulator.fault("ssm", "SendCommand", "ThrottlingException", 400, 2);
    emulator.fault("iam", "CreateRole", "Throttling", 400, 1);
    emulator.fault("ec2", "CreateImage", "RequestLimitExceeded", 400, 1);
    let project = Project::new(&emulator, "");
    let run = project.build(9);
    assert!(run.success(), "{run}");
    let calls = emulator.calls();
    assert_eq!(calls.get("ec2:RunInstances"), Some(&3), "{calls:#?}");
    assert_eq!(calls.get("iam:CreateRole"), Some(&2), "{calls:#?}");
    assert_eq!(calls.get("ec2:CreateImage"), Some(&2), "{calls:#?}");
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    assert_eq!(left.images.len(), 1, "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_error_abort_leaves_the_builder_for_debugging() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(&emulator, "");
    let run = project.run(&["build", "--build-number", "2", "--on-error", "abort"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("step `stop builder` failed"), "{run}");
    assert!(run.stderr.contains("baker exec --instance-id i-"), "{run}");

    // The builder is left as baker launched it: no key pair, IMDSv2
    // required, the temporary profile, a group with no inbound rule.
    let left = Leftovers::count(&emulator).await;
    assert_eq!(left.instances.len(), 1, "{left}");
    assert_eq!(left.security_groups.len(), 1, "{left}");
    assert_eq!(left.instance_profiles.len(), 1, "{left}");
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let described = ec2
        .describe_instances()
        .instance_ids(&left.instances[0])
        .send()
        .await
        .expect("describe");
    let instance = &described.reservations()[0].instances()[0];
    assert_eq!(instance.key_name(), None);
    let metadata = instance.metadata_options().expect("metadata options");
    assert_eq!(metadata.http_tokens().map(|t| t.as_str()), Some("required"));
    assert!(instance.iam_instance_profile().is_some());
    let tags: Vec<_> = instance.tags().iter().filter_map(|t| t.key()).collect();
    assert!(
        tags.contains(&"baker:build-id") && tags.contains(&"Name"),
        "{tags:?}"
    );
    let groups = ec2
        .describe_security_groups()
        .group_ids(&left.security_groups[0])
        .send()
        .await
        .expect("groups");
    assert!(
        groups.security_groups()[0].ip_permissions().is_empty(),
        "no inbound rules"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_never_comes_online_times_out_with_what_to_check() {
    let emulator = Emulator::start();
    emulator.timing(serde_json::json!({"ssm_online_delay_seconds": 300}));
    let project = Project::new(&emulator, "");
    let run = project.run(&["build", "--build-number", "4", "--set", "wait.ssm_online=1"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr
            .contains("step `wait for SSM agent` failed: gave up waiting for the SSM agent"),
        "{run}"
    );
    for hint in [
        "AmazonSSMManagedInstanceCore",
        "outbound HTTPS (443)",
        "SSM agent",
    ] {
        assert!(run.stderr.contains(hint), "{hint} in {run}");
    }
    let left = Leftovers::count(&emulator).await;
    assert!(left.nothing(), "{left}");
}
