//! What can stop a release from being packaged.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "`{} --version` printed {printed:?}, but the release is {expected} \
         (the workspace version in Cargo.toml); rebuild the binary",
        .binary.display()
    )]
    VersionMismatch {
        binary: PathBuf,
        printed: String,
        expected: String,
    },

    #[error("{name} is too large for a zip archive without ZIP64 (4 GiB)")]
    TooLarge { name: String },

    #[error("unknown platform {0:?}: expected OS_ARCH such as linux_amd64 or darwin_arm64")]
    Platform(String),

    #[error("signing {} with GPG key {key} failed: {detail}", .file.display())]
    Signing {
        file: PathBuf,
        key: String,
        detail: String,
    },
}

impl DistError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        DistError::Io {
            context: context.into(),
            source,
        }
    }
}
