//! The harness: an emulator per test, a project directory with a
//! `baker.toml`, the `baker` binary as a subprocess, and SDK clients to look
//! at what is left.

pub mod ec2_view;
pub mod emulator;
pub mod http;
pub mod leftovers;
pub mod project;
pub mod ssm_view;

pub use emulator::Emulator;
pub use leftovers::Leftovers;
pub use project::Project;
