//! The `OS_ARCH` pair a release archive is built for, in Terraform's (Go's)
//! names: `linux_amd64`, `linux_arm64`, `darwin_amd64`, `darwin_arm64`.

use std::fmt;

use super::DistError;

/// The platforms the release workflow builds (see .github/workflows/release.yml).
pub const RELEASED: [&str; 4] = ["linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    os: &'static str,
    arch: &'static str,
}

impl Platform {
    /// The platform this program was compiled for.
    pub fn host() -> Result<Platform, DistError> {
        let os = go_os(std::env::consts::OS);
        let arch = go_arch(std::env::consts::ARCH);
        match (os, arch) {
            (Some(os), Some(arch)) => Ok(Platform { os, arch }),
            _ => Err(DistError::Platform(format!(
                "{}_{}",
                std::env::consts::OS,
                std::env::consts::ARCH
            ))),
        }
    }

    /// `OS_ARCH` as Terraform writes it.
    pub fn parse(text: &str) -> Result<Platform, DistError> {
        let unknown = || DistError::Platform(text.to_owned());
        let (os, arch) = text.split_once('_').ok_or_else(unknown)?;
        let os = ["linux", "darwin"]
            .into_iter()
            .find(|known| *known == os)
            .ok_or_else(unknown)?;
        let arch = ["amd64", "arm64"]
            .into_iter()
            .find(|known| *known == arch)
            .ok_or_else(unknown)?;
        Ok(Platform { os, arch })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.os, self.arch)
    }
}

fn go_os(rust: &str) -> Option<&'static str> {
    match rust {
        "linux" => Some("linux"),
        "macos" => Some("darwin"),
        _ => None,
    }
}

fn go_arch(rust: &str) -> Option<&'static str> {
    match rust {
        "x86_64" => Some("amd64"),
        "aarch64" => Some("arm64"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_released_platform_parses_back_to_its_name() -> Result<(), DistError> {
        for name in RELEASED {
            assert_eq!(Platform::parse(name)?.to_string(), name);
        }
        Ok(())
    }

    #[test]
    fn rust_names_are_not_terraform_names() {
        assert!(Platform::parse("linux_x86_64").is_err());
        assert!(Platform::parse("macos_arm64").is_err());
    }
}
