//! Running scripts on the builder. SSM is the one used on AWS (no SSH, no
//! inbound rule, no key pair); the provisioning plan it runs is the same
//! text any other communicator would run.

pub mod ssh;
pub mod ssm;
pub mod ssm_output;

/// What a finished remote command left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteOutput {
    /// SSM's status: `Success`, `Failed`, `TimedOut`, `Cancelled`, …
    pub status: String,
    /// The script's exit code (-1 when it never ran to an end).
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl RemoteOutput {
    pub fn success(&self) -> bool {
        self.status == "Success" && self.exit_code == 0
    }
}
