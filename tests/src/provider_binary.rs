//! Where the built provider lives, and the Terraform CLI configuration that
//! points Terraform at it (`dev_overrides`: no registry, no `terraform init`).

use std::path::{Path, PathBuf};

use crate::error::{HarnessError, Result};

/// The provider's source address as written in `required_providers`.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/roundrobin/roundrobin";
/// The file name Terraform looks for inside the override directory.
pub const BINARY_NAME: &str = "terraform-provider-roundrobin";
/// Overrides where the provider binary is looked for.
pub const PROVIDER_DIR_ENV: &str = "ROUNDROBIN_PROVIDER_DIR";

/// The directory holding the built provider: `$ROUNDROBIN_PROVIDER_DIR`, or the
/// cargo profile directory this executable was built into (`target/debug` for
/// both `target/debug/deps/stories-…` and `target/debug/demo`).
pub fn provider_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os(PROVIDER_DIR_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => profile_dir()?,
    };
    let binary = dir.join(BINARY_NAME);
    if binary.is_file() {
        Ok(dir)
    } else {
        Err(HarnessError::ProviderMissing { path: binary })
    }
}

fn profile_dir() -> Result<PathBuf> {
    let exe =
        std::env::current_exe().map_err(|e| HarnessError::io("finding the test executable", e))?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.pop();
    }
    Ok(dir)
}

/// The CLI configuration file's text: overrides for our provider, direct
/// installation for everything else.
pub fn cli_config(provider_dir: &Path) -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        quote(&provider_dir.to_string_lossy())
    )
}

/// Escapes a path for a double-quoted string of the (HCL 1) CLI configuration.
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_config_overrides_our_provider_only() {
        let text = cli_config(Path::new("/opt/build/target/debug"));
        assert!(text.contains(
            "\"registry.terraform.io/roundrobin/roundrobin\" = \"/opt/build/target/debug\""
        ));
        assert!(text.contains("direct {}"));
    }

    #[test]
    fn quotes_and_backslashes_in_the_path_are_escaped() {
        assert_eq!(quote(r#"a"b\c"#), r#"a\"b\\c"#);
    }

    #[test]
    fn the_profile_dir_is_above_deps() {
        let dir = profile_dir().expect("profile dir");
        assert_ne!(dir.file_name().expect("a named dir"), "deps");
    }
}
