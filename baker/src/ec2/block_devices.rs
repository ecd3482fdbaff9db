//! Block device mappings as EC2 takes them: Packer's tables
//! ([`BlockDevice`]) for RunInstances and CreateImage, checked against the
//! root volume that `builder.volume_size` and `image.encrypt_boot` map.

use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice, VolumeType};

use crate::config::Config;
use crate::config::block_devices::{BlockDevice, LAUNCH_KEY};
use crate::error::StepError;

/// The root device assumed when the source image names none.
pub const DEFAULT_ROOT_DEVICE: &str = "/dev/xvda";

/// One mapping as EC2 takes it; `delete_on_termination` defaults to true.
pub fn mapping(device: &BlockDevice) -> BlockDeviceMapping {
    let builder = BlockDeviceMapping::builder().device_name(device.device_name.trim());
    if device.no_device {
        // AWS's way of saying "no device here": an empty NoDevice.
        return builder.no_device("").build();
    }
    if !device.virtual_name.is_empty() {
        return builder.virtual_name(&device.virtual_name).build();
    }
    let mut ebs = EbsBlockDevice::builder()
        .delete_on_termination(device.delete_on_termination.unwrap_or(true))
        .set_volume_size(
            device
                .volume_size
                .map(|s| i32::try_from(s).unwrap_or(i32::MAX)),
        )
        .set_iops(device.iops.map(|i| i32::try_from(i).unwrap_or(i32::MAX)))
        .set_throughput(
            device
                .throughput
                .map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
        )
        .set_encrypted(device.encrypted);
    if !device.volume_type.is_empty() {
        ebs = ebs.volume_type(VolumeType::from(device.volume_type.as_str()));
    }
    if !device.kms_key_id.is_empty() {
        ebs = ebs.kms_key_id(&device.kms_key_id);
    }
    if !device.snapshot_id.is_empty() {
        ebs = ebs.snapshot_id(&device.snapshot_id);
    }
    builder.ebs(ebs.build()).build()
}

/// `builder.launch_block_device_mappings` for RunInstances. `root_device`
/// is the source image's root device: a mapping of it is refused when
/// `builder.volume_size` or `image.encrypt_boot` already map the root.
pub fn launch_mappings(
    config: &Config,
    root_device: &str,
) -> Result<Vec<BlockDeviceMapping>, StepError> {
    let devices = &config.builder.launch_block_device_mappings;
    let mut root_keys = Vec::new();
    if config.builder.volume_size > 0 {
        root_keys.push("builder.volume_size");
    }
    if config.image.encrypt_boot {
        root_keys.push("image.encrypt_boot");
    }
    if let Some(index) = devices
        .iter()
        .position(|d| d.device_name.trim() == root_device)
        .filter(|_| !root_keys.is_empty())
    {
        return Err(StepError::unexpected(format!(
            "{LAUNCH_KEY}[{index}].device_name: {root_device} is the source image's root device, \
             which {} already set{}: set the root's size and encryption in this mapping \
             (volume_size, encrypted, kms_key_id) and leave {} unset, or map another device",
            root_keys.join(" and "),
            if root_keys.len() == 1 { "s" } else { "" },
            root_keys.join(" and "),
        )));
    }
    Ok(devices.iter().map(mapping).collect())
}

/// `image.ami_block_device_mappings` for CreateImage (none: the instance's).
pub fn ami_mappings(config: &Config) -> Option<Vec<BlockDeviceMapping>> {
    let devices = &config.image.ami_block_device_mappings;
    (!devices.is_empty()).then(|| devices.iter().map(mapping).collect())
}
