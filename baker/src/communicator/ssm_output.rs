//! Where SSM keeps a command's whole output besides GetCommandInvocation
//! (which returns only the first 24,000 characters of stdout and 8,000 of
//! stderr): an S3 bucket (and key prefix) and / or a CloudWatch Logs group,
//! from `communicator.output_s3_bucket`, `communicator.output_s3_prefix` and
//! `communicator.cloudwatch_log_group`.

use aws_sdk_ssm::operation::send_command::builders::SendCommandFluentBuilder;
use aws_sdk_ssm::types::CloudWatchOutputConfig;

use crate::config::CommunicatorConfig;

/// The characters of stderr GetCommandInvocation returns at most.
pub const STDERR_LIMIT: usize = 8000;
/// The characters of stdout GetCommandInvocation returns at most.
pub const STDOUT_LIMIT: usize = 24000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsmOutput {
    pub s3_bucket: String,
    pub s3_prefix: String,
    pub log_group: String,
}

impl SsmOutput {
    pub fn from_config(config: &CommunicatorConfig) -> Self {
        Self {
            s3_bucket: config.output_s3_bucket.trim().to_string(),
            s3_prefix: config.output_s3_prefix.trim().trim_matches('/').to_string(),
            log_group: config.cloudwatch_log_group.trim().to_string(),
        }
    }

    /// Adds the output settings to a SendCommand request.
    pub fn apply(&self, mut request: SendCommandFluentBuilder) -> SendCommandFluentBuilder {
        if !self.s3_bucket.is_empty() {
            request = request.output_s3_bucket_name(&self.s3_bucket);
            if !self.s3_prefix.is_empty() {
                request = request.output_s3_key_prefix(&self.s3_prefix);
            }
        }
        if !self.log_group.is_empty() {
            request = request.cloud_watch_output_config(
                CloudWatchOutputConfig::builder()
                    .cloud_watch_log_group_name(&self.log_group)
                    .cloud_watch_output_enabled(true)
                    .build(),
            );
        }
        request
    }

    /// The S3 key of `stream` (`stdout`, `stderr`) of `command_id` on
    /// `instance` in the output bucket, as SSM lays it out for
    /// AWS-RunShellScript.
    pub fn s3_key(&self, command_id: &str, instance: &str, stream: &str) -> String {
        let prefix = if self.s3_prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.s3_prefix)
        };
        format!("{prefix}{command_id}/{instance}/awsrunShellScript/0.awsrunShellScript/{stream}")
    }

    /// The whole `stream` of `command_id` on `instance`, read from the output
    /// bucket; `Ok(None)` without a bucket.
    pub async fn read_stream(
        &self,
        s3: &aws_sdk_s3::Client,
        command_id: &str,
        instance: &str,
        stream: &str,
    ) -> Result<Option<String>, String> {
        if self.s3_bucket.is_empty() {
            return Ok(None);
        }
        let key = self.s3_key(command_id, instance, stream);
        let object = s3
            .get_object()
            .bucket(&self.s3_bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading s3://{}/{key}: {}",
                    self.s3_bucket,
                    roundrobin_aws::AwsErrorDetail::describe(&e)
                )
            })?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| format!("reading s3://{}/{key}: {e}", self.s3_bucket))?;
        Ok(Some(
            String::from_utf8_lossy(&bytes.into_bytes()).into_owned(),
        ))
    }

    /// Where the whole stderr of `command_id` on `instance` is kept, in the
    /// layout SSM documents for AWS-RunShellScript; `None` when neither is set.
    pub fn where_kept(&self, command_id: &str, instance: &str) -> Option<String> {
        self.where_stream_kept(command_id, instance, "stderr")
    }

    /// Where the whole `stream` (`stdout` or `stderr`) of `command_id` on
    /// `instance` is kept; `None` when neither place is set.
    pub fn where_stream_kept(
        &self,
        command_id: &str,
        instance: &str,
        stream: &str,
    ) -> Option<String> {
        let mut places = Vec::new();
        if !self.s3_bucket.is_empty() {
            places.push(format!(
                "s3://{}/{}",
                self.s3_bucket,
                self.s3_key(command_id, instance, stream)
            ));
        }
        if !self.log_group.is_empty() {
            places.push(format!(
                "CloudWatch Logs group {} (stream {command_id}/{instance}/aws-runShellScript/{stream})",
                self.log_group
            ));
        }
        (!places.is_empty()).then(|| places.join(" and "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_means_nowhere() {
        let output = SsmOutput::from_config(&CommunicatorConfig::default());
        assert_eq!(output.where_kept("c", "i"), None);
    }

    #[test]
    fn both_places_are_named() {
        let config = CommunicatorConfig {
            output_s3_bucket: "logs".into(),
            output_s3_prefix: "/baker/".into(),
            cloudwatch_log_group: "/baker/ssm".into(),
            ..CommunicatorConfig::default()
        };
        let output = SsmOutput::from_config(&config);
        let kept = output.where_kept("cmd-1", "i-1").expect("kept");
        assert!(
            kept.contains("s3://logs/baker/cmd-1/i-1/awsrunShellScript/0.awsrunShellScript/stderr"),
            "{kept}"
        );
        assert!(kept.contains("CloudWatch Logs group /baker/ssm"), "{kept}");
    }
}
