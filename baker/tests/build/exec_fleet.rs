//! `baker exec --group` / `--tag`: one command on every InService instance
//! of an autoscaling group, each instance's output prefixed with its id and
//! host, in a stable order; a failure names the instances.
//!
//! Emulated behaviours relied on: the group's instances get their launch
//! template's instance profile (SSM managed nodes once running) and the
//! `aws:autoscaling:groupName` tag; SendCommand to several InstanceIds;
//! command outcomes give each invocation the same output.

use aws_sdk_ec2::types::{
    LaunchTemplateIamInstanceProfileSpecificationRequest, RequestLaunchTemplateData,
};

use crate::harness::ssm_view::{amazon_image, instance_profile};
use crate::harness::{Emulator, Project};

/// A group of two running instances with an SSM instance profile.
async fn group_of_two(emulator: &Emulator) -> Vec<String> {
    let sdk = emulator.sdk().await;
    instance_profile(emulator, "web").await;
    let image = amazon_image(emulator).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    ec2.create_launch_template()
        .launch_template_name("web")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(image)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .iam_instance_profile(
                    LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                        .name("web")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let autoscaling = aws_sdk_autoscaling::Client::new(&sdk);
    autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name("web")
                .version("1")
                .build(),
        )
        .min_size(2)
        .max_size(2)
        .desired_capacity(2)
        .availability_zones("us-east-1a")
        .availability_zones("us-east-1b")
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    let groups = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("web")
        .send()
        .await
        .expect("DescribeAutoScalingGroups");
    let mut ids: Vec<String> = groups.auto_scaling_groups()[0]
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 2, "{ids:?}");
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_on_a_group_prints_each_instance_in_order_and_names_failures() {
    let emulator = Emulator::start();
    let ids = group_of_two(&emulator).await;
    emulator.command_outcome("hostname", "Success", "web-host\n", "", 0);
    let project = Project::new(&emulator, "");

    let run = project.run(&["exec", "--group", "web", "--", "hostname"]);
    assert!(run.success(), "{run}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run}");
    for (line, id) in lines.iter().zip(&ids) {
        assert!(line.starts_with(&format!("{id} (")), "{run}");
        assert!(line.ends_with(" | web-host"), "{run}");
    }

    // One SendCommand named both instances.
    let ssm = aws_sdk_ssm::Client::new(&emulator.sdk().await);
    let listed = ssm.list_commands().send().await.expect("ListCommands");
    let mut targeted: Vec<String> = listed.commands()[0].instance_ids().to_vec();
    targeted.sort();
    assert_eq!(targeted, ids);

    emulator.command_outcome("systemctl", "Failed", "", "inactive\n", 3);
    let failed = project.run(&[
        "exec",
        "--tag",
        "aws:autoscaling:groupName=web",
        "--",
        "systemctl",
        "is-active",
        "nodeapp",
    ]);
    assert_eq!(failed.code, Some(3), "{failed}");
    assert!(
        failed.stderr.contains("failed on 2 of 2 instances"),
        "{failed}"
    );
    for id in &ids {
        assert!(
            failed.stderr.contains(&format!("{id} (Failed, exit 3)")),
            "{failed}"
        );
    }

    let none = project.run(&["exec", "--group", "missing", "--", "true"]);
    assert_eq!(none.code, Some(2), "{none}");
    assert!(none.stderr.contains("--group"), "{none}");
    let both = project.run(&[
        "exec",
        "--group",
        "web",
        "--instance-id",
        &ids[0],
        "--",
        "true",
    ]);
    assert_eq!(both.code, Some(2), "{both}");
}
