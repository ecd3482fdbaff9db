//! Reading EC2 as the tests look at it: tags as a map, an image's snapshots.

use std::collections::BTreeMap;

/// EC2 tags as a map of key to value.
pub fn tags(list: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The EBS snapshots behind image `ami`, in mapping order.
pub async fn image_snapshots(ec2: &aws_sdk_ec2::Client, ami: &str) -> Vec<String> {
    let out = ec2
        .describe_images()
        .image_ids(ami)
        .send()
        .await
        .expect("DescribeImages");
    out.images()
        .iter()
        .flat_map(|i| i.block_device_mappings())
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(String::from))
        .collect()
}
