//! SSM Run Command: `SendCommand` with `AWS-RunShellScript`, then
//! `GetCommandInvocation` until the command ends, passing new output on as
//! it appears; `CancelCommand` when a signal stops the wait.
//!
//! A command whose agent is not reachable yet stays `Pending`, then
//! `Delayed`, while SSM retries the delivery (Systems Manager user guide,
//! "Understanding command statuses"); it ends `DeliveryTimedOut` once
//! neither delivery (`TimeoutSeconds`) nor run (`executionTimeout`) is
//! possible any more. Both are set to the command's timeout, and the polling
//! goes on until SSM itself has had the time to end the command.

use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_ssm::types::CommandInvocationStatus;
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::wait::{self, Backoff, WaitError};
use tokio_util::sync::CancellationToken;

use super::RemoteOutput;
use super::ssm_output::{STDERR_LIMIT, SsmOutput};
use crate::ec2::wait_error;
use crate::error::{RemoteFailure, StepError};

/// The SSM document that runs a shell script as root.
pub const DOCUMENT: &str = "AWS-RunShellScript";

/// SSM's lower bound for `TimeoutSeconds` and our floor for `executionTimeout`.
pub const MIN_TIMEOUT_SECS: u64 = 30;

/// Polling beyond SSM's own deadline, so that SSM's final status (not ours)
/// ends the wait.
pub const STATUS_GRACE: Duration = Duration::from_secs(60);

pub struct Ssm<'a> {
    pub client: &'a aws_sdk_ssm::Client,
    pub instance: &'a str,
    /// Polling of GetCommandInvocation; its timeout bounds the whole command.
    pub backoff: Backoff,
    /// Where SSM keeps the whole output (S3, CloudWatch Logs), if anywhere.
    pub output: SsmOutput,
    /// Reads the whole stderr of a failed command back from the output
    /// bucket, when there is one (`None`: only what GetCommandInvocation returns).
    pub s3: Option<&'a aws_sdk_s3::Client>,
}

/// SSM's status, with the detail that tells a command that never reached
/// the agent from one that ran out of time.
pub fn final_status(status: &str, details: Option<&str>) -> String {
    match details {
        Some(detail @ ("DeliveryTimedOut" | "Undeliverable")) => {
            format!("{status} ({detail}: the SSM agent on the instance never received the command)")
        }
        _ => status.to_string(),
    }
}

impl Ssm<'_> {
    /// The command's delivery timeout and its execution timeout, each.
    pub fn timeout_secs(&self) -> u64 {
        self.backoff.timeout.as_secs().max(MIN_TIMEOUT_SECS)
    }

    /// How long the command may stay open on SSM's side: undelivered
    /// (Pending, Delayed) for up to both timeouts together, as SSM counts a
    /// delivery timeout, plus the grace for its final status.
    pub fn poll_limit(&self) -> Backoff {
        let own = Duration::from_secs(self.timeout_secs() * 2);
        Backoff {
            timeout: own + STATUS_GRACE,
            ..self.backoff
        }
    }

    /// Sends `script`; returns the command id.
    pub async fn send(&self, script: &str, comment: &str) -> Result<String, StepError> {
        self.send_to(&[self.instance], script, comment).await
    }

    /// Sends `script` to every one of `instances` in one SendCommand (at
    /// most 50, SendCommand's limit); returns the command id.
    pub async fn send_to(
        &self,
        instances: &[&str],
        script: &str,
        comment: &str,
    ) -> Result<String, StepError> {
        let seconds = self.timeout_secs();
        let timeout = seconds.to_string();
        let comment: String = comment.chars().take(100).collect();
        let request = self
            .client
            .send_command()
            .document_name(DOCUMENT)
            .set_instance_ids(Some(instances.iter().map(|i| i.to_string()).collect()))
            .parameters("commands", vec![script.to_string()])
            .parameters("executionTimeout", vec![timeout])
            .timeout_seconds(i32::try_from(seconds).unwrap_or(i32::MAX))
            .comment(comment);
        let out = self
            .output
            .apply(request)
            .send()
            .await
            .map_err(StepError::aws("SendCommand"))?;
        let id = out
            .command()
            .and_then(|c| c.command_id())
            .map(str::to_string)
            .ok_or_else(|| StepError::unexpected("SendCommand returned no command id"))?;
        tracing::debug!(command_id = %id, instances = ?instances, bytes = script.len(), "sent command");
        Ok(id)
    }

    /// Polls the command until it ends; `on_output` gets stdout as it grows.
    pub async fn wait(
        &self,
        command_id: &str,
        stop: &CancellationToken,
        on_output: &(dyn Fn(&str) + Sync),
    ) -> Result<RemoteOutput, StepError> {
        let shown = Mutex::new(0usize);
        let result = wait::until(self.poll_limit(), stop, || async {
            let out = match self
                .client
                .get_command_invocation()
                .command_id(command_id)
                .instance_id(self.instance)
                .send()
                .await
            {
                Ok(out) => out,
                // Right after SendCommand, the invocation may not exist yet.
                Err(e) if e.code() == Some("InvocationDoesNotExist") => return Ok(None),
                Err(e) => return Err(StepError::aws("GetCommandInvocation")(e)),
            };
            let stdout = out.standard_output_content().unwrap_or_default();
            if let Ok(mut shown) = shown.lock()
                && stdout.len() > *shown
                && let Some(new) = stdout.get(*shown..)
            {
                on_output(new);
                *shown = stdout.len();
            }
            let status = out
                .status()
                .cloned()
                .unwrap_or(CommandInvocationStatus::Pending);
            let finished = !matches!(
                status,
                CommandInvocationStatus::Pending
                    | CommandInvocationStatus::InProgress
                    | CommandInvocationStatus::Delayed
                    | CommandInvocationStatus::Cancelling
            );
            Ok(finished.then(|| RemoteOutput {
                status: final_status(status.as_str(), out.status_details()),
                exit_code: out.response_code(),
                stdout: stdout.to_string(),
                stderr: out.standard_error_content().unwrap_or_default().to_string(),
            }))
        })
        .await;
        // A command baker stops waiting for (a signal, or its own deadline)
        // would otherwise go on running on the instance.
        if matches!(result, Err(WaitError::Stopped | WaitError::TimedOut(_))) {
            self.cancel(command_id).await;
        }
        result.map_err(|e| {
            wait_error(
                e,
                format!("command {command_id} to finish on {}", self.instance),
                Some("raise wait.command, or look at it with `baker exec`".into()),
            )
        })
    }

    /// Asks SSM to stop the command (on a signal, or when baker's wait ran
    /// out). A failure is only logged: the command ends with the builder anyway.
    pub async fn cancel(&self, command_id: &str) {
        match self
            .client
            .cancel_command()
            .command_id(command_id)
            .instance_ids(self.instance)
            .send()
            .await
        {
            Ok(_) => tracing::warn!(
                "CancelCommand: asked SSM to stop command {command_id} on {}",
                self.instance
            ),
            Err(e) => tracing::warn!(
                "CancelCommand for command {command_id} on {} failed ({}); it stops when the builder is terminated",
                self.instance,
                e.describe()
            ),
        }
    }

    /// Sends `script` and waits for it; a command that does not succeed is
    /// an error carrying its stderr.
    pub async fn run(
        &self,
        what: &str,
        script: &str,
        stop: &CancellationToken,
        on_output: &(dyn Fn(&str) + Sync),
    ) -> Result<RemoteOutput, StepError> {
        let id = self.send(script, &format!("baker: {what}")).await?;
        let output = self.wait(&id, stop, on_output).await?;
        if output.success() {
            return Ok(output);
        }
        let full_output = self.output.where_kept(&id, self.instance).or_else(|| {
            (output.stderr.chars().count() >= STDERR_LIMIT).then(|| {
                "nowhere: SSM returned only the first 8000 characters of stderr; set \
                 communicator.output_s3_bucket or communicator.cloudwatch_log_group to keep it all"
                    .to_string()
            })
        });
        // The real last lines: SSM cut stderr at its start, the bucket has it all.
        let stderr = match self.s3 {
            Some(s3) if output.stderr.chars().count() >= STDERR_LIMIT => {
                match self
                    .output
                    .read_stream(s3, &id, self.instance, "stderr")
                    .await
                {
                    Ok(Some(whole)) => whole,
                    _ => output.stderr,
                }
            }
            _ => output.stderr,
        };
        Err(StepError::Remote(Box::new(RemoteFailure {
            what: what.to_string(),
            instance: self.instance.to_string(),
            status: output.status,
            exit_code: output.exit_code,
            stderr,
            stdout: output.stdout,
            full_output,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_never_delivered_says_so() {
        assert_eq!(final_status("Success", Some("Success")), "Success");
        assert_eq!(
            final_status("TimedOut", Some("ExecutionTimedOut")),
            "TimedOut"
        );
        let never = final_status("TimedOut", Some("DeliveryTimedOut"));
        assert!(
            never.starts_with("TimedOut (DeliveryTimedOut: the SSM agent"),
            "{never}"
        );
        assert!(final_status("Failed", Some("Undeliverable")).contains("Undeliverable"));
    }

    #[tokio::test]
    async fn polling_outlasts_both_of_the_command_s_timeouts() {
        let sdk = aws_sdk_ssm::config::Builder::new()
            .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
            .region(aws_sdk_ssm::config::Region::new("us-east-1"))
            .build();
        let client = aws_sdk_ssm::Client::from_conf(sdk);
        let ssm = Ssm {
            client: &client,
            instance: "i-0123456789abcdef0",
            backoff: Backoff::new(Duration::from_secs(10)),
            output: SsmOutput::default(),
            s3: None,
        };
        // SSM's floor for the timeouts, then delivery + execution + grace.
        assert_eq!(ssm.timeout_secs(), MIN_TIMEOUT_SECS);
        assert_eq!(
            ssm.poll_limit().timeout,
            Duration::from_secs(2 * MIN_TIMEOUT_SECS) + STATUS_GRACE
        );
    }
}
