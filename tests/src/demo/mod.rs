//! The pieces `make demo` (src/bin/demo.rs) is told with: real commands run
//! against the emulator, and readable lines about what they did.
//!
//! - [`baker`]: `target/debug/baker build` as a subprocess talking to the emulator.
//! - [`mirror`]: the provider installed as `make install` would, into a
//!   temporary filesystem mirror, and the CLI configuration naming it.
//! - [`cloud`]: what the emulated cloud holds, seen through the AWS SDK.
//! - [`leftovers`]: what a destroy and baker's cleanup should have removed.
//! - [`report`]: how the demo prints stages, command lines and their output.
//! - [`story`]: the six stages, run in order.

pub mod baker;
pub mod cloud;
pub mod leftovers;
pub mod mirror;
pub mod report;
pub mod story;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The root of this repository (where `baker.toml` and `terraform/` are).
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The cargo profile directory the running executable was built into
/// (`target/debug` for `target/debug/demo` and `target/debug/deps/e2e-…`):
/// where `cargo build` put baker and the provider.
pub fn profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the running executable")?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.pop();
    }
    Ok(dir)
}
