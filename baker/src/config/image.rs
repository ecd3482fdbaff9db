//! `[image]`: what the image is called, who may use it, where it is copied.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::block_devices;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ImageConfig {
    /// Placeholders: `{app}`, `{build}`, `{commit}`, `{short_commit}`, `{timestamp}`.
    pub name_template: String,
    /// How many of this app's images to keep, the new one included.
    pub keep: u32,
    /// Extra tags on the image and its snapshots.
    pub tags: BTreeMap<String, String>,
    /// Replace an image of the same name (a re-run of the same CI build):
    /// it is deregistered just before the new one is created.
    pub force_deregister: bool,
    /// With `force_deregister`: delete the replaced image's snapshots too.
    pub force_delete_snapshot: bool,
    /// Encrypt the root volume (and so the image's snapshot), as Packer's
    /// `encrypt_boot`.
    pub encrypt_boot: bool,
    /// The KMS key for `encrypt_boot`; empty: the account's default EBS key.
    pub kms_key_id: String,
    /// Accounts allowed to launch the image.
    pub ami_users: Vec<String>,
    /// Groups allowed to launch the image (`all` makes it public).
    pub ami_groups: Vec<String>,
    /// Accounts allowed to create volumes from the image's snapshots.
    pub snapshot_users: Vec<String>,
    /// Regions the image is copied to once it is available (Packer's
    /// `ami_regions`); the build region is left out.
    pub ami_regions: Vec<String>,
    /// With `encrypt_boot`: the KMS key of each copy, by region (Packer's
    /// `region_kms_key_ids`); a region left out uses its default EBS key.
    pub region_kms_key_ids: BTreeMap<String, String>,
    /// When the image (and each copy) is deprecated: an RFC 3339 time
    /// (Packer's `deprecate_at`); empty: never.
    pub deprecate_at: String,
    /// Packer's `ami_block_device_mappings`: the image's mappings
    /// (CreateImage `BlockDeviceMappings`).
    pub ami_block_device_mappings: Vec<block_devices::BlockDevice>,
    /// Clear the builder's identity (machine id, journal, SSH host keys,
    /// cloud-init and SSM agent state, temporary files) before the image is
    /// made, so each instance has its own; `false` keeps them.
    pub generalize: bool,
    /// Tags on the image's snapshots only, over `tags` (Packer's
    /// `snapshot_tags`).
    pub snapshot_tags: BTreeMap<String, String>,
    /// `v2.0`: instances of the image require IMDSv2 (Packer's
    /// `imds_support`); empty: not set.
    pub imds_support: String,
    /// ENA enhanced networking on the image (Packer's `ena_support`);
    /// unset: as the source image has it.
    pub ena_support: Option<bool>,
    /// SR-IOV enhanced networking (`simple`) on the image (Packer's
    /// `sriov_support`).
    pub sriov_support: bool,
    /// Provision, but make no image (Packer's `skip_create_ami`).
    pub skip_create_ami: bool,
}

impl Default for ImageConfig {
    fn default() -> Self {
        Self {
            name_template: "{app}-{build}-{short_commit}".into(),
            keep: 5,
            tags: BTreeMap::new(),
            force_deregister: false,
            force_delete_snapshot: false,
            encrypt_boot: false,
            kms_key_id: String::new(),
            ami_users: Vec::new(),
            ami_groups: Vec::new(),
            snapshot_users: Vec::new(),
            ami_regions: Vec::new(),
            region_kms_key_ids: BTreeMap::new(),
            deprecate_at: String::new(),
            generalize: true,
            ami_block_device_mappings: Vec::new(),
            snapshot_tags: BTreeMap::new(),
            imds_support: String::new(),
            ena_support: None,
            sriov_support: false,
            skip_create_ami: false,
        }
    }
}
