//! What an image (and each copy) gets once it is available, before it
//! counts as complete: its tags, its snapshots' tags (`image.tags` with
//! `image.snapshot_tags` over them, Packer's `snapshot_tags`), and
//! `image.imds_support` (ModifyImageAttribute `ImdsSupport`, Packer's
//! `imds_support`).

use roundrobin_aws::tags::to_ec2;

use super::Spec;
use crate::config::image_attributes::IMDS_V2;
use crate::error::StepError;

/// Tags `image` and its `snapshots`: one call when the snapshots take the
/// image's tags, two when `image.snapshot_tags` adds to them.
pub async fn tag(
    ec2: &aws_sdk_ec2::Client,
    spec: &Spec,
    source_ami: &str,
    image: &str,
    snapshots: &[String],
) -> Result<(), StepError> {
    let image_tags = spec.image_tags(source_ami);
    let snapshot_tags = spec.snapshot_tags(source_ami);
    let mut calls = Vec::new();
    if snapshot_tags == image_tags {
        let mut resources = snapshots.to_vec();
        resources.push(image.to_string());
        calls.push((resources, image_tags));
    } else {
        calls.push((vec![image.to_string()], image_tags));
        if !snapshots.is_empty() {
            calls.push((snapshots.to_vec(), snapshot_tags));
        }
    }
    for (resources, tags) in calls {
        ec2.create_tags()
            .set_resources(Some(resources))
            .set_tags(Some(to_ec2(&tags)))
            .send()
            .await
            .map_err(StepError::aws("CreateTags"))?;
    }
    Ok(())
}

/// Sets `image.imds_support` on `image`, when it is set; returns whether.
pub async fn imds_support(
    ec2: &aws_sdk_ec2::Client,
    spec: &Spec,
    image: &str,
) -> Result<bool, StepError> {
    if spec.config.image.imds_support != IMDS_V2 {
        return Ok(false);
    }
    ec2.modify_image_attribute()
        .image_id(image)
        .imds_support(
            aws_sdk_ec2::types::AttributeValue::builder()
                .value(IMDS_V2)
                .build(),
        )
        .send()
        .await
        .map_err(StepError::aws("ModifyImageAttribute"))?;
    Ok(true)
}
