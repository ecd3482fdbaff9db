//! `baker exec --group NAME` / `--tag KEY=VALUE -- CMD...`: one command on
//! every InService instance of an autoscaling group (or every running
//! instance with a tag), through one SendCommand. Each instance's output is
//! printed whole, line by line prefixed with its instance id and host, in the
//! order of the instance ids; baker fails when any instance failed, and says
//! which.
//!
//! The instances are named in the SendCommand (InstanceIds) as they are when
//! baker asks, rather than by a tag target that SSM resolves later: an
//! instance that is leaving the group (Terminating, still tagged) is not sent
//! the command, and the ids to wait for are known.

use std::io::Write;

use aws_sdk_ec2::types::Filter;
use roundrobin_aws::wait::Backoff;
use tokio_util::sync::CancellationToken;

use super::exec::{exit_code, truncation_notes};
use crate::aws::Clients;
use crate::cli::ExecArgs;
use crate::communicator::RemoteOutput;
use crate::communicator::ssm::Ssm;
use crate::communicator::ssm_output::SsmOutput;
use crate::error::{Error, StepError};
use crate::output::{stderr_line, stdout_line};

/// SendCommand takes at most 50 instance ids.
const MAX_INSTANCES: usize = 50;

/// One instance the command runs on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub instance_id: String,
    /// Its private DNS name (else its private IP), as the prefix shows it.
    pub host: String,
}

/// The instances `--group` or `--tag` names, sorted by instance id.
pub async fn targets(aws: &Clients, args: &ExecArgs) -> Result<Vec<Target>, Error> {
    let (flag, ids) = match (&args.group, &args.tag) {
        (Some(group), _) => ("--group", in_service(aws, group).await?),
        (_, Some(tag)) => ("--tag", tagged(aws, tag).await?),
        _ => return Err(bad("--instance-id", "name an instance, a group or a tag")),
    };
    if ids.is_empty() {
        return Err(bad(
            flag,
            "no instance to run on (none is InService / running)",
        ));
    }
    if ids.len() > MAX_INSTANCES {
        return Err(bad(
            flag,
            &format!(
                "{} instances; SendCommand takes at most {MAX_INSTANCES}",
                ids.len()
            ),
        ));
    }
    let mut targets = hosts(aws, &ids).await?;
    targets.sort();
    Ok(targets)
}

fn bad(flag: &str, message: &str) -> Error {
    Error::Override {
        source_name: flag.to_string(),
        message: message.to_string(),
    }
}

fn aws_error<E>(operation: &'static str) -> impl FnOnce(E) -> Error
where
    E: roundrobin_aws::AwsErrorDetail,
{
    move |e| Error::Exec(Box::new(StepError::aws(operation)(e)))
}

async fn in_service(aws: &Clients, group: &str) -> Result<Vec<String>, Error> {
    let found = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .map_err(aws_error("DescribeAutoScalingGroups"))?;
    let Some(group_found) = found.auto_scaling_groups().first() else {
        return Err(bad(
            "--group",
            &format!("no autoscaling group named {group}"),
        ));
    };
    Ok(group_found
        .instances()
        .iter()
        .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect())
}

async fn tagged(aws: &Clients, tag: &str) -> Result<Vec<String>, Error> {
    let Some((key, value)) = tag.split_once('=').filter(|(k, _)| !k.is_empty()) else {
        return Err(bad("--tag", &format!("{tag:?} is not KEY=VALUE")));
    };
    let mut pages = aws
        .ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name(format!("tag:{key}"))
                .values(value)
                .build(),
        )
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("running")
                .build(),
        )
        .into_paginator()
        .send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_error("DescribeInstances"))?;
        ids.extend(
            page.reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter_map(|i| i.instance_id().map(str::to_string)),
        );
    }
    Ok(ids)
}

async fn hosts(aws: &Clients, ids: &[String]) -> Result<Vec<Target>, Error> {
    let out = aws
        .ec2
        .describe_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(aws_error("DescribeInstances"))?;
    let found: Vec<Target> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            let host = i
                .private_dns_name()
                .filter(|n| !n.is_empty())
                .or(i.private_ip_address())
                .unwrap_or("-");
            Some(Target {
                instance_id: i.instance_id()?.to_string(),
                host: host.to_string(),
            })
        })
        .collect();
    // Every id asked for has a line, even one EC2 does not list (yet).
    Ok(ids
        .iter()
        .map(|id| {
            found
                .iter()
                .find(|t| &t.instance_id == id)
                .cloned()
                .unwrap_or_else(|| Target {
                    instance_id: id.clone(),
                    host: "-".to_string(),
                })
        })
        .collect())
}

/// The instances and how to reach them through SSM.
pub struct Fleet<'a> {
    pub client: &'a aws_sdk_ssm::Client,
    pub targets: &'a [Target],
    pub backoff: Backoff,
    pub output: SsmOutput,
}

impl Fleet<'_> {
    /// SSM as it is reached for `target`.
    fn on<'b>(&'b self, target: &'b Target) -> Ssm<'b> {
        Ssm {
            client: self.client,
            instance: &target.instance_id,
            backoff: self.backoff,
            output: self.output.clone(),
            s3: None,
        }
    }

    /// Sends `script` to every target, waits for every invocation, prints
    /// their output in order and returns the exit code.
    pub async fn run(&self, script: &str, stop: &CancellationToken) -> Result<u8, Error> {
        let Some(first) = self.targets.first() else {
            return Err(bad("--group", "no instance to run on"));
        };
        let ids: Vec<&str> = self
            .targets
            .iter()
            .map(|t| t.instance_id.as_str())
            .collect();
        let command_id = self
            .on(first)
            .send_to(&ids, script, "baker exec")
            .await
            .map_err(|e| Error::Exec(Box::new(e)))?;
        let id = command_id.as_str();
        let waits = self.targets.iter().map(|target| async move {
            let ssm = self.on(target);
            (target, ssm.wait(id, stop, &|_| {}).await)
        });
        let results = futures::future::join_all(waits).await;
        let mut failed = Vec::new();
        for (target, result) in &results {
            match result {
                Ok(output) => {
                    print_prefixed(target, output);
                    for note in
                        truncation_notes(output, &self.output, &command_id, &target.instance_id)
                    {
                        stderr_line(&format!("{} | baker: {note}", prefix(target)));
                    }
                    if !output.success() {
                        failed.push(format!(
                            "{} ({}, exit {})",
                            target.instance_id, output.status, output.exit_code
                        ));
                    }
                }
                Err(error) => {
                    stderr_line(&format!("{} | baker: {error}", prefix(target)));
                    failed.push(format!("{} ({error})", target.instance_id));
                }
            }
        }
        let _ = std::io::stdout().flush();
        if failed.is_empty() {
            return Ok(0);
        }
        stderr_line(&format!(
            "baker: the command failed on {} of {} instances: {}",
            failed.len(),
            self.targets.len(),
            failed.join(", ")
        ));
        Ok(common_exit_code(&results))
    }
}

fn prefix(target: &Target) -> String {
    format!("{} ({})", target.instance_id, target.host)
}

fn print_prefixed(target: &Target, output: &RemoteOutput) {
    let prefix = prefix(target);
    for line in output.stdout.lines() {
        stdout_line(&format!("{prefix} | {line}"));
    }
    for line in output.stderr.lines() {
        stderr_line(&format!("{prefix} | {line}"));
    }
}

/// The remote exit code when every failed instance had the same one, else 1.
fn common_exit_code(results: &[(&Target, Result<RemoteOutput, StepError>)]) -> u8 {
    let mut codes = results.iter().filter_map(|(_, r)| match r {
        Ok(output) if !output.success() => Some(exit_code(output)),
        Ok(_) => None,
        Err(_) => Some(1),
    });
    let first = codes.next().unwrap_or(1);
    if codes.all(|c| c == first) { first } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(status: &str, code: i32) -> RemoteOutput {
        RemoteOutput {
            status: status.to_string(),
            exit_code: code,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    #[test]
    fn the_exit_code_is_the_failed_instances_own_when_they_agree() {
        let a = Target {
            instance_id: "i-a".to_string(),
            host: "ip-10-0-0-1".to_string(),
        };
        let b = Target {
            instance_id: "i-b".to_string(),
            host: "ip-10-0-0-2".to_string(),
        };
        let same = vec![
            (&a, Ok(output("Failed", 3))),
            (&b, Ok(output("Success", 0))),
        ];
        assert_eq!(common_exit_code(&same), 3);
        let differ = vec![(&a, Ok(output("Failed", 3))), (&b, Ok(output("Failed", 4)))];
        assert_eq!(common_exit_code(&differ), 1);
    }
}
