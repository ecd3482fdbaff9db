//! Packer's `launch_block_device_mappings` and `ami_block_device_mappings`:
//! arrays of tables in `baker.toml`, and the checks AWS would make on them,
//! each naming its entry (`builder.launch_block_device_mappings[1].iops`).

use std::collections::BTreeSet;

use serde::Deserialize;

use super::Config;
use crate::error::Problem;

/// The config keys that hold mappings, as written in `baker.toml`.
pub const LAUNCH_KEY: &str = "builder.launch_block_device_mappings";
pub const AMI_KEY: &str = "image.ami_block_device_mappings";

/// The EBS volume types AWS offers.
pub const VOLUME_TYPES: &[&str] = &["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"];

/// One block device mapping, as Packer spells it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BlockDevice {
    /// `/dev/sdf`, `xvdb`: required, unique within its list.
    pub device_name: String,
    /// GiB; unset: the snapshot's size.
    pub volume_size: Option<u32>,
    /// One of [`VOLUME_TYPES`]; empty: AWS's default.
    pub volume_type: String,
    /// Provisioned IOPS: io1 / io2 (required) and gp3.
    pub iops: Option<u32>,
    /// MiB/s: gp3 only.
    pub throughput: Option<u32>,
    /// Unset: as the snapshot is (unencrypted for a new volume).
    pub encrypted: Option<bool>,
    /// The KMS key for an encrypted volume; empty: the account's default.
    pub kms_key_id: String,
    /// Unset: true.
    pub delete_on_termination: Option<bool>,
    pub snapshot_id: String,
    /// Suppress the device (e.g. one the source image maps).
    pub no_device: bool,
    /// An instance store volume: `ephemeral0` … `ephemeral23`.
    pub virtual_name: String,
}

impl BlockDevice {
    /// Whether it sets anything about an EBS volume.
    fn has_ebs_settings(&self) -> bool {
        self.volume_size.is_some()
            || !self.volume_type.is_empty()
            || self.iops.is_some()
            || self.throughput.is_some()
            || self.encrypted.is_some()
            || !self.kms_key_id.is_empty()
            || self.delete_on_termination.is_some()
            || !self.snapshot_id.is_empty()
    }
}

/// Every problem with both lists of `config`.
pub fn check_config(config: &Config) -> Vec<Problem> {
    let mut problems = check(LAUNCH_KEY, &config.builder.launch_block_device_mappings);
    problems.extend(check(AMI_KEY, &config.image.ami_block_device_mappings));
    problems
}

/// Every problem with the list `key`, each named by its entry (from 0).
pub fn check(key: &str, devices: &[BlockDevice]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, device) in devices.iter().enumerate() {
        let mut problem = |field: &str, message: String| {
            problems.push(Problem::new(format!("{key}[{index}].{field}"), message))
        };
        let name = device.device_name.trim();
        if name.is_empty() {
            problem("device_name", "is required (e.g. \"/dev/sdf\")".into());
        } else if name.len() != device.device_name.len() || name.chars().any(char::is_whitespace) {
            problem(
                "device_name",
                format!("{:?} is not a device name", device.device_name),
            );
        } else if !seen.insert(name) {
            problem(
                "device_name",
                format!("{name:?} is mapped more than once in {key}"),
            );
        }
        check_entry(device, &mut problem);
    }
    problems
}

fn check_entry(device: &BlockDevice, problem: &mut impl FnMut(&str, String)) {
    if device.no_device {
        if device.has_ebs_settings() || !device.virtual_name.is_empty() {
            problem(
                "no_device",
                "suppresses the device: set nothing else but device_name with it".into(),
            );
        }
        return;
    }
    if !device.virtual_name.is_empty() {
        if !is_ephemeral(&device.virtual_name) {
            problem(
                "virtual_name",
                format!(
                    "{:?} is not an instance store name (ephemeral0 … ephemeral23)",
                    device.virtual_name
                ),
            );
        }
        if device.has_ebs_settings() {
            problem(
                "virtual_name",
                "an instance store volume takes no EBS settings (volume_size, volume_type, iops, throughput, encrypted, kms_key_id, delete_on_termination, snapshot_id)".into(),
            );
        }
        return;
    }
    let kind = device.volume_type.as_str();
    if !kind.is_empty() && !VOLUME_TYPES.contains(&kind) {
        problem(
            "volume_type",
            format!(
                "{kind:?} is not a volume type ({})",
                VOLUME_TYPES.join(", ")
            ),
        );
    }
    check_size(device, problem);
    match (device.iops, kind) {
        (None, "io1" | "io2") => problem("iops", format!("is required for volume_type {kind:?}")),
        (Some(iops), "io1" | "io2" | "gp3") => {
            let (low, high) = match kind {
                "gp3" => (3000, 16_000),
                "io1" => (100, 64_000),
                _ => (100, 256_000),
            };
            if !(low..=high).contains(&iops) {
                problem("iops", format!("must be {low} to {high} for {kind}"));
            }
        }
        (Some(_), _) => problem(
            "iops",
            "only io1, io2 and gp3 volumes take iops (set volume_type)".into(),
        ),
        (None, _) => {}
    }
    match device.throughput {
        Some(t) if kind == "gp3" && !(125..=1000).contains(&t) => {
            problem("throughput", "must be 125 to 1000 MiB/s".into());
        }
        Some(_) if kind != "gp3" => problem(
            "throughput",
            "only gp3 volumes take throughput (set volume_type = \"gp3\")".into(),
        ),
        _ => {}
    }
    if !device.kms_key_id.is_empty() && device.encrypted != Some(true) {
        problem("kms_key_id", "only works with encrypted = true".into());
    }
    if !device.snapshot_id.is_empty() && !device.snapshot_id.starts_with("snap-") {
        problem(
            "snapshot_id",
            format!("{:?} is not a snapshot id (snap-…)", device.snapshot_id),
        );
    }
}

fn check_size(device: &BlockDevice, problem: &mut impl FnMut(&str, String)) {
    let Some(size) = device.volume_size else {
        return;
    };
    let (low, high) = match device.volume_type.as_str() {
        "io1" | "io2" => (4, 65_536),
        "st1" | "sc1" => (125, 16_384),
        "standard" => (1, 1024),
        _ => (1, 16_384),
    };
    if !(low..=high).contains(&size) {
        let kind = if device.volume_type.is_empty() {
            "this volume type".to_string()
        } else {
            device.volume_type.clone()
        };
        problem(
            "volume_size",
            format!("must be {low} to {high} GiB for {kind}"),
        );
    }
}

/// A key path as the problems name it: `a.b.0.c` → `a.b[0].c` (serde
/// names an array's entries by number, like tables).
pub fn bracket_indices(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('.') {
        if !out.is_empty() && !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// `ephemeral0` … `ephemeral23`.
fn is_ephemeral(name: &str) -> bool {
    name.strip_prefix("ephemeral")
        .filter(|n| !n.is_empty() && n.len() <= 2 && n.chars().all(|c| c.is_ascii_digit()))
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| n <= 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(devices: &[BlockDevice]) -> Vec<String> {
        check(LAUNCH_KEY, devices)
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    fn ebs(name: &str, kind: &str) -> BlockDevice {
        BlockDevice {
            device_name: name.into(),
            volume_type: kind.into(),
            volume_size: Some(10),
            ..BlockDevice::default()
        }
    }

    #[test]
    fn array_entries_are_named_by_index() {
        assert_eq!(
            bracket_indices("builder.launch_block_device_mappings.1.volum_size"),
            "builder.launch_block_device_mappings[1].volum_size"
        );
        assert_eq!(bracket_indices("image.foo"), "image.foo");
    }

    #[test]
    fn good_mappings_pass() {
        let devices = [
            BlockDevice {
                iops: Some(3000),
                throughput: Some(125),
                ..ebs("/dev/sdf", "gp3")
            },
            BlockDevice {
                iops: Some(200),
                encrypted: Some(true),
                kms_key_id: "alias/k".into(),
                ..ebs("/dev/sdg", "io2")
            },
            BlockDevice {
                device_name: "/dev/sdh".into(),
                virtual_name: "ephemeral0".into(),
                ..BlockDevice::default()
            },
            BlockDevice {
                device_name: "/dev/sdi".into(),
                no_device: true,
                ..BlockDevice::default()
            },
        ];
        assert_eq!(fields(&devices), Vec::<String>::new());
    }

    #[test]
    fn each_problem_names_its_entry() {
        let devices = [
            ebs("", "gp2"),
            BlockDevice {
                iops: Some(500),
                ..ebs("/dev/sdf", "gp2")
            },
            ebs("/dev/sdf", "io1"),
            BlockDevice {
                throughput: Some(200),
                kms_key_id: "k".into(),
                ..ebs("/dev/sdg", "st1")
            },
            BlockDevice {
                no_device: true,
                ..ebs("/dev/sdh", "")
            },
            BlockDevice {
                device_name: "/dev/sdj".into(),
                virtual_name: "ephemeral24".into(),
                ..BlockDevice::default()
            },
        ];
        let found = fields(&devices);
        for field in [
            "[0].device_name",
            "[1].iops",
            "[2].device_name",
            "[2].iops",
            "[3].throughput",
            "[3].kms_key_id",
            "[3].volume_size",
            "[4].no_device",
            "[5].virtual_name",
        ] {
            let field = format!("{LAUNCH_KEY}{field}");
            assert!(found.contains(&field), "{field} in {found:?}");
        }
    }
}
