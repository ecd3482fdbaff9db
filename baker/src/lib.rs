//! `baker`: bakes a versioned AMI of the app through SSM, with no SSH and no
//! key pair, and cleans up after itself on every exit path.
//!
//! Module map:
//! - [`cli`]: the command line (clap derive) and its `BAKER_*` env fallbacks;
//! - [`commands`]: one entry point per subcommand (`build`, `validate`,
//!   `exec`, `prune`), each returning what the process should exit with;
//! - [`config`]: `baker.toml`, overrides from env and flags, CI values
//!   (commit, build number), and the checks `baker validate` runs;
//! - [`steps`]: the build as an ordered list of typed steps; the runner runs
//!   them in order and their cleanups in reverse, on success, failure and
//!   Ctrl-C alike;
//! - [`communicator`]: running a script on the builder (SSM) or a host (SSH);
//! - [`provision`]: the one provisioning plan, rendered as a shell script;
//! - [`generalize`]: clearing the builder's identity before the image is made;
//! - [`bundle`]: the app and its unit packed as one tar.gz;
//! - [`ec2`]: instance and image helpers shared by steps and `prune`;
//! - [`prune`]: which images to keep and removing the others;
//! - [`manifest`]: `manifest.json`, shaped like Packer's;
//! - [`template`]: the image name template;
//! - [`progress`]: a live line per step on a terminal, timestamped lines in CI;
//! - [`output`]: stdout and stderr writes that a closed stream never fails;
//! - [`signals`]: SIGINT / SIGTERM / SIGHUP as cancellation;
//! - [`aws`]: the SDK clients, configured once;
//! - [`error`]: the errors, each naming a step or a config field.

pub mod aws;
pub mod bundle;
pub mod cli;
pub mod commands;
pub mod communicator;
pub mod config;
pub mod ec2;
pub mod error;
pub mod generalize;
pub mod manifest;
pub mod output;
pub mod progress;
pub mod provision;
pub mod prune;
pub mod signals;
pub mod steps;
pub mod template;

pub use error::{Error, StepError};

/// The value of the `baked-by` tag on everything baker creates; `prune`
/// only ever touches images carrying it.
pub const BAKED_BY: &str = "baker";

/// The path the app answers its health check on (`app/server.js`); the
/// image records it in its `health-path` tag, next to `app-port`, so that
/// the stack that runs the image checks what the image serves.
pub const HEALTH_PATH: &str = "/health";
