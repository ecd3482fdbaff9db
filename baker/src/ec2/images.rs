//! Images: describing one, and removing one with its snapshots.

use aws_sdk_ec2::types::Image;
use roundrobin_aws::AwsErrorDetail;

use crate::error::StepError;

/// The EBS snapshots behind an image.
pub fn snapshots_of(image: &Image) -> Vec<String> {
    image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
        .collect()
}

/// Describes one image; `None` when it does not exist (any more, or not
/// yet: a new image may be unknown for a moment).
pub async fn describe_image(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<Image>, StepError> {
    match ec2.describe_images().image_ids(id).send().await {
        Ok(out) => Ok(out
            .images()
            .iter()
            .find(|i| i.image_id() == Some(id))
            .cloned()),
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(StepError::aws("DescribeImages")(e)),
    }
}

/// Deregisters an image, then deletes its snapshots; what is already gone
/// is not an error.
pub async fn delete_image(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    snapshots: &[String],
) -> Result<(), StepError> {
    match ec2.deregister_image().image_id(id).send().await {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
            ) => {}
        Err(e) => return Err(StepError::aws("DeregisterImage")(e)),
    }
    delete_snapshots(ec2, snapshots).await
}

/// Deletes snapshots; one that is already gone is not an error.
pub async fn delete_snapshots(
    ec2: &aws_sdk_ec2::Client,
    snapshots: &[String],
) -> Result<(), StepError> {
    for snapshot in snapshots {
        match ec2.delete_snapshot().snapshot_id(snapshot).send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("InvalidSnapshot.NotFound") => {}
            Err(e) => return Err(StepError::aws("DeleteSnapshot")(e)),
        }
    }
    Ok(())
}
