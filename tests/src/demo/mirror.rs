//! The provider installed as `make install` installs it (Terraform's unpacked
//! filesystem-mirror layout), but into a temporary plugin directory, and the
//! CLI configuration that makes that directory the only place `terraform init`
//! looks: no registry, no network.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::provider_binary::BINARY_NAME;

/// The provider's address in `required_providers` (`roundrobin/roundrobin`), in full.
pub const HOSTNAME: &str = "registry.terraform.io";
pub const NAMESPACE: &str = "roundrobin";
pub const TYPE: &str = "roundrobin";

/// The provider's version: the workspace's, which every crate shares.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A plugin directory holding one installed provider; removed when dropped.
pub struct Mirror {
    dir: tempfile::TempDir,
    installed: PathBuf,
}

impl Mirror {
    /// Copies `binary` to `<tmp>/plugins/registry.terraform.io/roundrobin/
    /// roundrobin/<VERSION>/<os>_<arch>/terraform-provider-roundrobin_v<VERSION>`
    /// with mode 0755, as `make install` does into `~/.terraform.d/plugins`.
    pub fn install(binary: &Path) -> Result<Mirror> {
        let dir = tempfile::Builder::new()
            .prefix("demo-plugins-")
            .tempdir()
            .context("creating a plugin directory")?;
        let target = dir
            .path()
            .join("plugins")
            .join(HOSTNAME)
            .join(NAMESPACE)
            .join(TYPE)
            .join(VERSION)
            .join(platform());
        std::fs::create_dir_all(&target)
            .with_context(|| format!("creating {}", target.display()))?;
        let installed = target.join(format!("{BINARY_NAME}_v{VERSION}"));
        std::fs::copy(binary, &installed)
            .with_context(|| format!("copying {} to {}", binary.display(), installed.display()))?;
        std::fs::set_permissions(&installed, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", installed.display()))?;
        Ok(Mirror { dir, installed })
    }

    /// The mirror's root, as named in the CLI configuration.
    pub fn plugins(&self) -> PathBuf {
        self.dir.path().join("plugins")
    }

    /// The installed executable.
    pub fn installed(&self) -> &Path {
        &self.installed
    }

    /// The CLI configuration that installs our provider from this mirror only.
    pub fn cli_config(&self) -> String {
        cli_config(&self.plugins())
    }
}

/// A `provider_installation` block whose only method is the filesystem
/// mirror at `plugins`, for our namespace.
pub fn cli_config(plugins: &Path) -> String {
    let path = plugins
        .to_string_lossy()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{path}\"\n    include = [\"{HOSTNAME}/{NAMESPACE}/*\"]\n  }}\n}}\n"
    )
}

/// Terraform's name for this machine's platform, e.g. `linux_amd64`.
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_lands_where_terraform_looks_for_it() {
        let source = tempfile::NamedTempFile::new().expect("a file");
        std::fs::write(source.path(), "#!/bin/sh\n").expect("written");
        let mirror = Mirror::install(source.path()).expect("installed");
        let expected = mirror
            .plugins()
            .join(format!(
                "registry.terraform.io/roundrobin/roundrobin/{VERSION}"
            ))
            .join(platform())
            .join(format!("terraform-provider-roundrobin_v{VERSION}"));
        assert_eq!(mirror.installed(), expected);
        let mode = std::fs::metadata(&expected).expect("exists").permissions();
        assert_eq!(mode.mode() & 0o777, 0o755);

        let root = mirror.plugins();
        drop(mirror);
        assert!(!root.exists(), "the plugin directory is removed");
    }

    #[test]
    fn the_cli_config_names_the_mirror_and_nothing_else() {
        let text = cli_config(Path::new("/tmp/x/plugins"));
        assert!(text.contains("filesystem_mirror {"), "{text}");
        assert!(text.contains("path    = \"/tmp/x/plugins\""), "{text}");
        assert!(
            text.contains("include = [\"registry.terraform.io/roundrobin/*\"]"),
            "{text}"
        );
        assert!(!text.contains("direct"), "{text}");
        assert!(!text.contains("dev_overrides"), "{text}");
    }

    /// The real provider from the mirror, with any registry access sent to a
    /// dead proxy: `terraform init` must need nothing else.
    #[test]
    fn terraform_init_installs_the_provider_from_the_mirror_offline() {
        let provider = crate::provider_binary::provider_dir()
            .expect("the provider is built")
            .join(BINARY_NAME);
        let mirror = Mirror::install(&provider).expect("installed");
        let mut workspace =
            crate::Workspace::with_cli_config("http://127.0.0.1:9", &mirror.cli_config())
                .expect("workspace");
        workspace
            .set_env("HTTPS_PROXY", "http://127.0.0.1:9")
            .set_env("HTTP_PROXY", "http://127.0.0.1:9");
        workspace
            .write_config(
                "terraform {\n  required_providers {\n    roundrobin = { source = \"roundrobin/roundrobin\" }\n  }\n}\n",
            )
            .expect("written");
        let init = workspace
            .run(&["init", "-no-color", "-input=false"])
            .expect("terraform runs");
        assert!(init.success(), "{init}");
        assert!(
            init.stdout
                .contains(&format!("Installed roundrobin/roundrobin v{VERSION}")),
            "{init}"
        );
        let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl"))
            .expect("a lock file");
        assert!(lock.contains(&format!("version = \"{VERSION}\"")), "{lock}");
        assert!(lock.contains("\"h1:"), "{lock}");
    }

    #[test]
    fn the_platform_is_terraforms_spelling() {
        let platform = platform();
        assert!(platform.contains('_'), "{platform}");
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!(platform, "linux_amd64");
        }
    }
}
