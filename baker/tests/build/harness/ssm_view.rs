//! SSM as the tests look at it: an instance that is a managed node, and the
//! scripts baker sent.

use super::Emulator;

/// A running instance with the instance profile `profile` (made here): an
/// SSM managed node once its agent is online.
pub async fn managed_instance(emulator: &Emulator, profile: &str) -> String {
    let sdk = emulator.sdk().await;
    aws_sdk_iam::Client::new(&sdk)
        .create_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
        .expect("CreateInstanceProfile");
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let images = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("DescribeImages");
    let image = images
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("an image");
    let run = ec2
        .run_instances()
        .image_id(image)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                .name(profile)
                .build(),
        )
        .send()
        .await
        .expect("RunInstances");
    run.instances()[0]
        .instance_id()
        .expect("instance id")
        .to_string()
}

/// The `commands` parameter of every SendCommand, as SSM recorded them.
pub async fn sent_commands(emulator: &Emulator) -> Vec<String> {
    let ssm = aws_sdk_ssm::Client::new(&emulator.sdk().await);
    let listed = ssm.list_commands().send().await.expect("ListCommands");
    listed
        .commands()
        .iter()
        .filter_map(|c| c.parameters()?.get("commands")?.first().cloned())
        .collect()
}
