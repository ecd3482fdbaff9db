//! SSM as the tests look at it: an instance that is a managed node, and the
//! scripts baker sent.

use super::Emulator;

/// An instance profile named `name` (no role: the emulator's SSM agent
/// only needs the instance to have a profile).
pub async fn instance_profile(emulator: &Emulator, name: &str) {
    aws_sdk_iam::Client::new(&emulator.sdk().await)
        .create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .expect("CreateInstanceProfile");
}

/// The id of an Amazon image the emulator has.
pub async fn amazon_image(emulator: &Emulator) -> String {
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk().await);
    let images = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("DescribeImages");
    images
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("an image")
}

/// A running instance with the instance profile `profile` (made here): an
/// SSM managed node once its agent is online.
pub async fn managed_instance(emulator: &Emulator, profile: &str) -> String {
    instance_profile(emulator, profile).await;
    let image = amazon_image(emulator).await;
    let run = aws_sdk_ec2::Client::new(&emulator.sdk().await)
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
