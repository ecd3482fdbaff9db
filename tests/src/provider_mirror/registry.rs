//! The same server as an origin registry, by Terraform's "provider registry
//! protocol": the documents a provider published on a registry is installed
//! from, with its checksums signed. Terraform finds it through a `host`
//! block of the CLI configuration (service discovery overridden), and
//! records in the lock file the `zh:` hashes of every platform the signed
//! checksums list.
//!
//! Paths, under `/v1/providers/` (the `providers.v1` service):
//! - `NAMESPACE/TYPE/versions`: the versions, their protocols and platforms;
//! - `NAMESPACE/TYPE/V/download/OS/ARCH`: the archive's URL and SHA-256,
//!   the checksums file's and its signature's URLs, the signing key;
//! - and the files themselves under `/files/`.

use std::collections::BTreeMap;

use serde_json::json;

use super::MirrorLayout;

/// The service path the CLI configuration's `host` block names.
pub const PROVIDERS_V1: &str = "v1/providers/";

/// One platform's package of a release, and the release's signed checksums.
#[derive(Debug, Clone)]
pub struct RegistryRelease {
    pub namespace: String,
    pub type_name: String,
    pub version: String,
    /// `OS_ARCH`, e.g. `linux_amd64`.
    pub platform: String,
    pub zip_name: String,
    pub zip: Vec<u8>,
    /// Lower-case hex SHA-256 of the zip, as the download document says.
    pub zip_sha256: String,
    pub sums_name: String,
    pub sums: Vec<u8>,
    pub signature: Vec<u8>,
    /// The signing key's (long) id and its public key in ASCII armor.
    pub key_id: String,
    pub public_key: String,
}

/// The registry's documents and files; `base` is the server's URL ending in `/`.
pub fn registry_layout(base: &str, release: &RegistryRelease) -> MirrorLayout {
    let (os, arch) = release
        .platform
        .split_once('_')
        .unwrap_or((&release.platform, ""));
    let provider = format!("/{PROVIDERS_V1}{}/{}", release.namespace, release.type_name);
    let file_url = |name: &str| format!("{base}files/{name}");
    let versions = json!({
        "versions": [{
            "version": release.version,
            "protocols": ["6.0"],
            "platforms": [{ "os": os, "arch": arch }],
        }]
    });
    let download = json!({
        "protocols": ["6.0"],
        "os": os,
        "arch": arch,
        "filename": release.zip_name,
        "download_url": file_url(&release.zip_name),
        "shasums_url": file_url(&release.sums_name),
        "shasums_signature_url": file_url(&format!("{}.sig", release.sums_name)),
        "shasum": release.zip_sha256,
        "signing_keys": {
            "gpg_public_keys": [{
                "key_id": release.key_id,
                "ascii_armor": release.public_key,
            }]
        }
    });
    let mut files = BTreeMap::new();
    files.insert(
        format!("{provider}/versions"),
        versions.to_string().into_bytes(),
    );
    files.insert(
        format!("{provider}/{}/download/{os}/{arch}", release.version),
        download.to_string().into_bytes(),
    );
    files.insert(format!("/files/{}", release.zip_name), release.zip.clone());
    files.insert(
        format!("/files/{}", release.sums_name),
        release.sums.clone(),
    );
    files.insert(
        format!("/files/{}.sig", release.sums_name),
        release.signature.clone(),
    );
    MirrorLayout::from_files(files)
}

/// The CLI configuration that sends `hostname`'s provider service to `base`.
pub fn registry_cli_config(hostname: &str, base: &str) -> String {
    format!(
        "host \"{hostname}\" {{\n  services = {{\n    \"providers.v1\" = \"{base}{PROVIDERS_V1}\"\n  }}\n}}\n"
    )
}
