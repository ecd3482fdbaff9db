//! Release packaging (`make dist`, and the provider network mirror test):
//! the files a provider release on Terraform's registry consists of, and
//! baker's archive beside them.
//!
//! For version `V` and each platform `OS_ARCH`, in the output directory:
//! - `terraform-provider-roundrobin_V_OS_ARCH.zip`, holding the executable
//!   `terraform-provider-roundrobin_vV` (the name the registry's layout and
//!   `terraform providers mirror` use);
//! - `baker_V_OS_ARCH.tar.gz`, holding the executable `baker`;
//! - `terraform-provider-roundrobin_V_manifest.json`, the registry manifest
//!   (plugin protocol 6.0);
//! - `terraform-provider-roundrobin_V_SHA256SUMS`, one line per provider zip
//!   of `V` found in the directory (so platforms packaged into one directory
//!   share it) and for the manifest, as the registry's checksums are. Nothing
//!   else: Terraform records every line of a signed checksums file as a `zh:`
//!   hash in its users' lock files;
//! - `baker_V_SHA256SUMS`, one line per baker archive of `V`;
//! - `….sig` beside each checksums file, a detached binary GPG signature,
//!   only when a key is given.
//!
//! The version is the workspace's (Cargo.toml), which both binaries print for
//! `--version`; a binary that prints another is refused.

mod checksum;
mod error;
mod platform;
mod release;
mod tarball;
pub mod zip;

pub use checksum::{package_hash, sha256_hex, sums_file, zip_hash};
pub use error::DistError;
pub use platform::{Platform, RELEASED};
pub use release::{Inputs, Release, package, sign, signature_path};

/// The workspace version, the one place every version comes from.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The provider's binary as cargo builds it.
pub const PROVIDER: &str = "terraform-provider-roundrobin";
/// baker's binary as cargo builds it.
pub const BAKER: &str = "baker";
/// The Terraform plugin protocol versions the provider speaks.
pub const PROTOCOL_VERSIONS: [&str; 1] = ["6.0"];

/// `terraform-provider-roundrobin_V_OS_ARCH.zip`
pub fn provider_zip_name(version: &str, platform: &Platform) -> String {
    format!("{PROVIDER}_{version}_{platform}.zip")
}

/// The executable inside the zip: `terraform-provider-roundrobin_vV`.
pub fn provider_binary_name(version: &str) -> String {
    format!("{PROVIDER}_v{version}")
}

/// `baker_V_OS_ARCH.tar.gz`
pub fn baker_archive_name(version: &str, platform: &Platform) -> String {
    format!("{BAKER}_{version}_{platform}.tar.gz")
}

/// `terraform-provider-roundrobin_V_SHA256SUMS`
pub fn sums_name(version: &str) -> String {
    format!("{PROVIDER}_{version}_SHA256SUMS")
}

/// `baker_V_SHA256SUMS`
pub fn baker_sums_name(version: &str) -> String {
    format!("{BAKER}_{version}_SHA256SUMS")
}

/// `terraform-provider-roundrobin_V_manifest.json`
pub fn manifest_name(version: &str) -> String {
    format!("{PROVIDER}_{version}_manifest.json")
}

/// The registry manifest's text.
pub fn manifest() -> String {
    let manifest = serde_json::json!({
        "version": 1,
        "metadata": { "protocol_versions": PROTOCOL_VERSIONS },
    });
    format!("{manifest:#}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_registry_layout() -> Result<(), DistError> {
        let linux = Platform::parse("linux_amd64")?;
        assert_eq!(
            provider_zip_name("1.2.3", &linux),
            "terraform-provider-roundrobin_1.2.3_linux_amd64.zip"
        );
        assert_eq!(
            provider_binary_name("1.2.3"),
            "terraform-provider-roundrobin_v1.2.3"
        );
        assert_eq!(
            sums_name("1.2.3"),
            "terraform-provider-roundrobin_1.2.3_SHA256SUMS"
        );
        assert_eq!(
            baker_archive_name("1.2.3", &linux),
            "baker_1.2.3_linux_amd64.tar.gz"
        );
        Ok(())
    }

    #[test]
    fn the_manifest_declares_protocol_six() -> Result<(), serde_json::Error> {
        let manifest: serde_json::Value = serde_json::from_str(&manifest())?;
        assert_eq!(
            manifest,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
        );
        Ok(())
    }
}
