//! `manifest.json`, shaped like Packer's manifest post-processor output so
//! that scripts written for it keep working: `builds[]` with `artifact_id`
//! = `region:ami-id` (the build region's), `build_time`, `custom_data`; each
//! build is appended. `amis` adds every region's AMI id (the copies of
//! `image.ami_regions` too), by region.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub builds: Vec<BuildEntry>,
    #[serde(default)]
    pub last_run_uuid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildEntry {
    pub name: String,
    pub builder_type: String,
    /// Unix seconds.
    pub build_time: u64,
    pub files: Option<Vec<serde_json::Value>>,
    /// `us-east-1:ami-0123…`
    pub artifact_id: String,
    pub packer_run_uuid: String,
    pub custom_data: BTreeMap<String, String>,
    /// Region → AMI id, the build region's and each copy's (absent in
    /// entries written before it existed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub amis: BTreeMap<String, String>,
}

/// The builder type recorded in the manifest.
pub const BUILDER_TYPE: &str = "baker-amazon-ssm";

impl BuildEntry {
    /// The AMI id of `artifact_id`.
    pub fn ami_id(&self) -> Option<&str> {
        self.artifact_id.split_once(':').map(|(_, id)| id)
    }
}

/// Checks, before any AWS call, that [`append`] can write `path`: its
/// directory exists and takes a new file, and an existing file is a
/// manifest. The message says what is wrong.
pub fn check(path: &Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(format!("the directory {} does not exist", dir.display()));
    }
    let probe = dir.join(format!(".baker-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<Manifest>(&text)
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "{} exists and is not a manifest ({e}); move it away",
                    path.display()
                )
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Appends `entry` to the manifest at `path` (created when missing) and
/// writes it through a temporary file, so a reader never sees half of it.
pub fn append(path: &Path, entry: BuildEntry) -> std::io::Result<Manifest> {
    let mut manifest = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<Manifest>(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the existing file is not a manifest ({e}); move it away"),
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
        Err(e) => return Err(e),
    };
    manifest.last_run_uuid.clone_from(&entry.packer_run_uuid);
    manifest.builds.push(entry);
    let mut text = serde_json::to_string_pretty(&manifest).map_err(std::io::Error::other)?;
    text.push('\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ami: &str) -> BuildEntry {
        BuildEntry {
            name: "nodeapp".into(),
            builder_type: BUILDER_TYPE.into(),
            build_time: 1_700_000_000,
            files: None,
            artifact_id: format!("us-east-1:{ami}"),
            packer_run_uuid: format!("run-{ami}"),
            custom_data: BTreeMap::from([
                ("commit".into(), "abc".into()),
                ("build".into(), "1".into()),
            ]),
            amis: BTreeMap::from([
                ("us-east-1".into(), ami.into()),
                ("eu-west-1".into(), format!("{ami}-copy")),
            ]),
        }
    }

    #[test]
    fn builds_are_appended_like_packer_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        append(&path, entry("ami-1")).expect("first");
        let manifest = append(&path, entry("ami-2")).expect("second");
        assert_eq!(manifest.builds.len(), 2);
        assert_eq!(manifest.last_run_uuid, "run-ami-2");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        assert_eq!(json["builds"][1]["artifact_id"], "us-east-1:ami-2");
        assert_eq!(json["builds"][0]["custom_data"]["commit"], "abc");
        assert!(json["builds"][0]["files"].is_null());
        assert_eq!(manifest.builds[1].ami_id(), Some("ami-2"));
        assert_eq!(json["builds"][1]["amis"]["eu-west-1"], "ami-2-copy");
    }

    #[test]
    fn an_entry_without_amis_still_reads_and_writes_unchanged() {
        let old = r#"{"builds":[{"name":"nodeapp","builder_type":"baker-amazon-ssm","build_time":1,
            "files":null,"artifact_id":"us-east-1:ami-1","packer_run_uuid":"r","custom_data":{}}],
            "last_run_uuid":"r"}"#;
        let manifest: Manifest = serde_json::from_str(old).expect("an older manifest");
        assert!(manifest.builds[0].amis.is_empty());
        let json = serde_json::to_value(&manifest).expect("json");
        assert!(json["builds"][0].get("amis").is_none(), "{json}");
    }

    #[test]
    fn check_names_a_missing_directory_and_a_foreign_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(check(&dir.path().join("manifest.json")), Ok(()));
        let missing = check(&dir.path().join("nope/manifest.json")).expect_err("no dir");
        assert!(missing.contains("does not exist"), "{missing}");
        std::fs::write(dir.path().join("m.json"), "[]").expect("write");
        let foreign = check(&dir.path().join("m.json")).expect_err("not a manifest");
        assert!(foreign.contains("not a manifest"), "{foreign}");
    }

    #[test]
    fn a_file_that_is_not_a_manifest_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        std::fs::write(&path, "not json").expect("write");
        assert!(append(&path, entry("ami-1")).is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "not json");
    }
}
