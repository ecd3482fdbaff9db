//! Everything that can go wrong while setting up or driving a story.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::process::Output;

/// An error of the harness itself (never of the code under test: that shows up
/// as a terraform [`Output`] inside [`HarnessError::CommandFailed`]).
#[derive(thiserror::Error)]
pub enum HarnessError {
    #[error(
        "moto server is not installed for `{python}` ({detail}); \
         install it with: pip install 'moto[server]' (or set $PYTHON to an interpreter that has it)"
    )]
    MotoNotInstalled { python: String, detail: String },

    #[error(
        "moto server on port {port} did not answer within {waited:?}; its log ends with:\n{log}"
    )]
    MotoNotReady {
        port: u16,
        waited: Duration,
        log: String,
    },

    #[error("moto server on port {port} exited during start-up; its log ends with:\n{log}")]
    MotoExited { port: u16, log: String },

    #[error("HTTP {method} {url} failed: {reason}")]
    Http {
        method: &'static str,
        url: String,
        reason: String,
    },

    #[error("moto answered {what} with something that is not JSON: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },

    #[error(
        "the provider binary is missing at {}; build it first with \
         `cargo build -p terraform-provider-roundrobin` (the Makefile does this before the tests), \
         or point $ROUNDROBIN_PROVIDER_DIR at the directory that holds it",
        .path.display()
    )]
    ProviderMissing { path: PathBuf },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("could not start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{command}` was killed after {after:?}\n{output}")]
    TimedOut {
        command: String,
        after: Duration,
        output: Box<Output>,
    },

    #[error("`{}` did not do what the story expected ({expected})\n{output}", .output.command)]
    CommandFailed {
        expected: &'static str,
        output: Box<Output>,
    },

    #[error("{0}")]
    Setup(String),
    #[error("AWS call {operation} failed: {message}")]
    Aws {
        operation: &'static str,
        message: String,
    },
}

/// Debug prints the same readable text as Display, so that a test returning an
/// error shows terraform's stdout and stderr as lines rather than one escaped string.
impl fmt::Debug for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl HarnessError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        HarnessError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn aws<E>(operation: &'static str, error: E) -> Self
    where
        E: std::error::Error + 'static,
    {
        HarnessError::Aws {
            operation,
            message: aws_sdk_ec2::error::DisplayErrorContext(error).to_string(),
        }
    }
}

pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
