//! The documents and files of a provider network mirror, by path.

use std::collections::BTreeMap;

use serde_json::json;

/// One platform's package of one version.
#[derive(Debug, Clone)]
pub struct Archive {
    pub version: String,
    /// `OS_ARCH`, e.g. `linux_amd64`.
    pub platform: String,
    /// The zip's file name, as the archive's URL.
    pub file_name: String,
    /// What the mirror serves for that URL.
    pub bytes: Vec<u8>,
    /// The hashes `V.json` lists for it (`zh:…`), which Terraform checks
    /// the downloaded archive against.
    pub hashes: Vec<String>,
}

/// Every path the mirror answers, with its body.
#[derive(Debug, Clone, Default)]
pub struct MirrorLayout {
    files: BTreeMap<String, Vec<u8>>,
}

impl MirrorLayout {
    /// The mirror of `archives` of the provider `source`
    /// (`HOSTNAME/NAMESPACE/TYPE`).
    pub fn new(source: &str, archives: &[Archive]) -> MirrorLayout {
        let mut versions: BTreeMap<&str, serde_json::Map<String, serde_json::Value>> =
            BTreeMap::new();
        let mut files = BTreeMap::new();
        for archive in archives {
            versions.entry(&archive.version).or_default().insert(
                archive.platform.clone(),
                json!({ "url": archive.file_name, "hashes": archive.hashes }),
            );
            files.insert(
                format!("/{source}/{}", archive.file_name),
                archive.bytes.clone(),
            );
        }
        let index: serde_json::Map<String, serde_json::Value> = versions
            .keys()
            .map(|version| ((*version).to_owned(), json!({})))
            .collect();
        files.insert(
            format!("/{source}/index.json"),
            json!({ "versions": index }).to_string().into_bytes(),
        );
        for (version, platforms) in versions {
            files.insert(
                format!("/{source}/{version}.json"),
                json!({ "archives": platforms }).to_string().into_bytes(),
            );
        }
        MirrorLayout { files }
    }

    /// Any files, by path (starting with `/`).
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> MirrorLayout {
        MirrorLayout { files }
    }

    /// The body served for `path` (starting with `/`).
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_at(layout: &MirrorLayout, path: &str) -> serde_json::Value {
        serde_json::from_slice(layout.get(path).expect("served")).expect("json")
    }

    #[test]
    fn the_mirror_lists_versions_and_their_archives() {
        let layout = MirrorLayout::new(
            "example.com/ns/thing",
            &[Archive {
                version: "1.0.0".into(),
                platform: "linux_amd64".into(),
                file_name: "terraform-provider-thing_1.0.0_linux_amd64.zip".into(),
                bytes: b"zip".to_vec(),
                hashes: vec!["zh:abc".into()],
            }],
        );
        assert_eq!(
            json_at(&layout, "/example.com/ns/thing/index.json"),
            json!({"versions": {"1.0.0": {}}})
        );
        assert_eq!(
            json_at(&layout, "/example.com/ns/thing/1.0.0.json"),
            json!({"archives": {"linux_amd64": {
                "url": "terraform-provider-thing_1.0.0_linux_amd64.zip",
                "hashes": ["zh:abc"],
            }}})
        );
        assert_eq!(
            layout.get("/example.com/ns/thing/terraform-provider-thing_1.0.0_linux_amd64.zip"),
            Some(&b"zip"[..])
        );
        assert_eq!(layout.get("/example.com/ns/thing/2.0.0.json"), None);
    }
}
