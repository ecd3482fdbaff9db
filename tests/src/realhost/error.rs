//! What can go wrong on the real host: a missing prerequisite (said plainly,
//! with what to install), a command that failed, or a check that did not hold.

use std::fmt;
use std::time::Duration;

use crate::error::HarnessError;
use crate::process::Output;

#[derive(thiserror::Error)]
pub enum RealHostError {
    #[error(
        "the real-host test cannot run on this machine:\n{}\n\
         (set ROUNDROBIN_REALHOST=skip to skip it on purpose; it then says so loudly)",
        .0.iter().map(|m| format!("  - {m}")).collect::<Vec<_>>().join("\n")
    )]
    Missing(Vec<String>),

    #[error("{what}:\n{output}")]
    Command { what: String, output: Box<Output> },

    #[error("{what} did not happen within {waited:?}: {last}")]
    NotWithin {
        what: String,
        waited: Duration,
        last: String,
    },

    #[error("{what}: {detail}")]
    Check { what: String, detail: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    Harness(#[from] HarnessError),
}

/// Debug prints the readable text, so a failing test shows lines, not escapes.
impl fmt::Debug for RealHostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl RealHostError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        RealHostError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn check(what: impl Into<String>, detail: impl Into<String>) -> Self {
        RealHostError::Check {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

pub type Result<T, E = RealHostError> = std::result::Result<T, E>;
