//! Errors as the user reads them: each names the step or the config field
//! it is about, and carries AWS's own code and message.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use roundrobin_aws::AwsErrorDetail;

/// One thing wrong with the configuration, named by its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key as written in `baker.toml` (`image.name_template`).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A list of problems, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {p}")?;
        }
        Ok(())
    }
}

/// Why one step (or one cleanup) did not do its job.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// An AWS call failed: the API action and AWS's code and message.
    #[error("{action}: {detail}")]
    Aws {
        action: &'static str,
        detail: String,
    },
    /// A wait ran out of time; `hint` says what to check.
    #[error("gave up waiting for {what} after {}{}", humantime::format_duration(*waited), hint.as_deref().map(|h| format!(": {h}")).unwrap_or_default())]
    TimedOut {
        what: String,
        waited: Duration,
        hint: Option<String>,
    },
    /// A signal asked baker to stop.
    #[error("interrupted")]
    Interrupted,
    /// The step's code panicked (a bug in baker): the message of the panic.
    #[error("baker crashed (a bug; please report it): {0}")]
    Panicked(String),
    /// A command on the builder failed.
    #[error("{0}")]
    Remote(Box<RemoteFailure>),
    /// AWS answered with something baker cannot use.
    #[error("{0}")]
    Unexpected(String),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A cleanup that could not remove something: what is left, by id.
    #[error("{reason}; left: {}", left.join(", "))]
    Left {
        left: Vec<String>,
        reason: Box<StepError>,
    },
}

/// A command that failed on the builder, with the end of its output.
#[derive(Debug)]
pub struct RemoteFailure {
    pub what: String,
    pub instance: String,
    pub status: String,
    pub exit_code: i32,
    pub stderr: String,
    pub stdout: String,
    /// Where SSM keeps the whole output (S3, CloudWatch Logs), if set.
    pub full_output: Option<String>,
}

impl fmt::Display for RemoteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed on {} (status {}, exit code {}){}",
            self.what,
            self.instance,
            self.status,
            self.exit_code,
            remote_tail(&self.stderr, &self.stdout)
        )?;
        if let Some(place) = &self.full_output {
            write!(f, "\nthe full output is kept in {place}")?;
        }
        Ok(())
    }
}

impl StepError {
    /// A mapper for `map_err` on an SDK call: `RunInstances: Code: message`.
    pub fn aws<E: AwsErrorDetail>(action: &'static str) -> impl FnOnce(E) -> StepError {
        move |e| StepError::Aws {
            action,
            detail: e.describe(),
        }
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        StepError::Unexpected(message.into())
    }
}

/// How many lines of the remote output a failure carries.
pub const TAIL_LINES: usize = 30;

/// The last [`TAIL_LINES`] lines of `text`, and whether lines were left out.
pub fn tail(text: &str) -> (String, bool) {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    (lines[start..].join("\n"), start > 0)
}

fn remote_tail(stderr: &str, stdout: &str) -> String {
    let (name, text) = if stderr.trim().is_empty() {
        ("stdout", stdout)
    } else {
        ("stderr", stderr)
    };
    if text.trim().is_empty() {
        return String::new();
    }
    let (tail, cut) = tail(text);
    let which = if cut { " (last lines)" } else { "" };
    format!("\n--- remote {name}{which} ---\n{tail}")
}

/// A cleanup that failed, and what it leaves behind.
#[derive(Debug)]
pub struct CleanupFailure {
    pub step: &'static str,
    pub error: StepError,
}

impl fmt::Display for CleanupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cleanup of step `{}` failed: {}", self.step, self.error)
    }
}

fn cleanup_list(failures: &[CleanupFailure]) -> String {
    failures.iter().map(|c| format!("\n{c}")).collect()
}

/// The exit code of a build whose image was made and kept while a later
/// step or a cleanup failed.
pub const IMAGE_KEPT: u8 = 3;

/// The exit code of a build in which baker itself crashed (a panic in a
/// step or a cleanup); the cleanups ran all the same. 70 is `EX_SOFTWARE`,
/// "an internal software error", in BSD's sysexits.h.
pub const CRASHED: u8 = 70;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("config file {}: {message}", path.display())]
    ConfigFile { path: PathBuf, message: String },
    #[error("unknown key{} in {}: {}", if keys.len() == 1 { "" } else { "s" }, path.display(), keys.join(", "))]
    UnknownKeys { path: PathBuf, keys: Vec<String> },
    #[error("{source_name}: {message}")]
    Override {
        source_name: String,
        message: String,
    },
    #[error("the configuration is not valid:\n{0}")]
    Invalid(Problems),
    #[error(transparent)]
    Connect(#[from] roundrobin_aws::ConnectError),
    #[error("packing the app: {0}")]
    Bundle(String),
    #[error("step `{step}` failed: {error}{}", cleanup_list(cleanup))]
    Step {
        step: &'static str,
        error: Box<StepError>,
        cleanup: Vec<CleanupFailure>,
    },
    #[error(
        "interrupted by {signal} during step `{step}`; {}{}",
        if cleanup.is_empty() { "cleaned up" } else { "the cleanup did not remove everything:" },
        cleanup_list(cleanup)
    )]
    Interrupted {
        signal: &'static str,
        step: &'static str,
        cleanup: Vec<CleanupFailure>,
    },
    /// A step panicked; the cleanups ran after it.
    #[error(
        "step `{step}` crashed (a bug in baker, please report it): {message}{}{}",
        if cleanup.is_empty() { "" } else { "\nthe cleanup did not remove everything:" },
        cleanup_list(cleanup)
    )]
    Crashed {
        step: &'static str,
        message: String,
        cleanup: Vec<CleanupFailure>,
    },
    #[error("the build succeeded but its cleanup did not:{}", cleanup_list(.0))]
    Cleanup(Vec<CleanupFailure>),
    /// The image was made and is kept, but something after it failed (a
    /// later step or a cleanup).
    #[error("{error}\nthe image {image} is complete and was kept (its id is on stdout)")]
    ImageKept { image: String, error: Box<Error> },
    #[error("{0}")]
    Exec(Box<StepError>),
    #[error("prune in {region}: {error}")]
    Prune {
        region: String,
        error: Box<StepError>,
    },
    #[error("listening for SIGINT, SIGTERM and SIGHUP: {0}")]
    Signals(std::io::Error),
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    /// The exit code for this error: 130 / 143 / 129 for SIGINT / SIGTERM /
    /// SIGHUP (128 + the signal's number, as a shell reports a process the
    /// signal killed), [`CRASHED`] when baker panicked, 2 for a
    /// configuration mistake, [`IMAGE_KEPT`] when the image was made but
    /// something after it failed, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::ImageKept { error, .. } => match error.exit_code() {
                code @ (129 | 130 | 143 | CRASHED) => code,
                _ => IMAGE_KEPT,
            },
            Error::Crashed { .. } => CRASHED,
            Error::Step { cleanup, .. }
            | Error::Interrupted { cleanup, .. }
            | Error::Cleanup(cleanup)
                if cleanup
                    .iter()
                    .any(|c| matches!(c.error, StepError::Panicked(_))) =>
            {
                CRASHED
            }
            Error::Interrupted {
                signal: "SIGTERM", ..
            } => 143,
            Error::Interrupted {
                signal: "SIGHUP", ..
            } => 129,
            Error::Interrupted { .. } => 130,
            Error::ConfigFile { .. }
            | Error::UnknownKeys { .. }
            | Error::Override { .. }
            | Error::Invalid(_) => 2,
            _ => 1,
        }
    }
}
