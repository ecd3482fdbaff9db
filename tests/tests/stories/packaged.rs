//! The release the stories install: the debug provider and baker packaged by
//! the same code as `make dist` (which packages the release build), once for
//! every story that needs it (compressing them is the slow part).

use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use e2e::dist::{self, Inputs, Platform, Release};
use e2e::provider_binary::{BINARY_NAME, provider_dir};
use tempfile::TempDir;

/// The packaged release and the directory holding its files.
pub fn release() -> Result<&'static (TempDir, Release)> {
    static PACKAGED: OnceLock<Result<(TempDir, Release), String>> = OnceLock::new();
    let packaged = PACKAGED.get_or_init(|| {
        let package = || -> Result<(TempDir, Release)> {
            let out = tempfile::Builder::new().prefix("e2e-dist-").tempdir()?;
            let binaries = provider_dir()?;
            let inputs = Inputs {
                provider: binaries.join(BINARY_NAME),
                baker: Some(binaries.join(dist::BAKER)),
                platform: Platform::host()?,
                version: dist::VERSION.to_owned(),
                out: out.path().to_owned(),
                gpg_key: None,
                gpg_home: None,
            };
            let release = dist::package(&inputs)?;
            Ok((out, release))
        };
        package().map_err(|e| format!("{e:#}"))
    });
    packaged
        .as_ref()
        .map_err(|message| anyhow!("packaging the release: {message}"))
}
