//! `baker exec --instance-id ID -- CMD ARGS...`: troubleshooting without SSH.
//! The command runs through SSM as root exactly as typed: each word is quoted
//! for the remote shell, as `docker exec` and `kubectl exec` keep their argv
//! (ssh joins the words with spaces, and the remote shell splits them again).
//! `--script FILE` sends a script instead. Its stdout and stderr are printed,
//! with a word on stderr when SSM kept only the start of them, and baker exits
//! with its exit code.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::aws::Clients;
use crate::cli::ExecArgs;
use crate::communicator::RemoteOutput;
use crate::communicator::ssm::Ssm;
use crate::communicator::ssm_output::{STDERR_LIMIT, STDOUT_LIMIT, SsmOutput};
use crate::ec2::backoff;
use crate::error::Error;
use crate::output::{stderr_line, stderr_text};
use crate::provision::sh_quote;
use crate::signals::Signals;

use super::exec_fleet;

pub async fn run(args: ExecArgs) -> Result<u8, Error> {
    let script = remote_script(&args)?;
    let config = super::load_config(&args.config, &[], false)?;
    let signals = Signals::install().map_err(Error::Signals)?;
    let aws = Clients::connect(&config.aws, None).await?;
    let mut output = SsmOutput::from_config(&config.communicator);
    if let Some(bucket) = &args.output_bucket {
        output.s3_bucket = bucket.trim().to_string();
    }
    let backoff = backoff(&config.wait, args.timeout.max(1));
    let Some(instance) = &args.instance_id else {
        let targets = exec_fleet::targets(&aws, &args).await?;
        let fleet = exec_fleet::Fleet {
            client: &aws.ssm,
            targets: &targets,
            backoff,
            output,
        };
        return fleet.run(&script, &signals.stop).await;
    };
    let ssm = Ssm {
        client: &aws.ssm,
        instance,
        backoff,
        output,
        s3: Some(&aws.s3),
    };
    let id = ssm
        .send(&script, "baker exec")
        .await
        .map_err(|e| Error::Exec(Box::new(e)))?;
    // stdout as it grows, as a long command runs.
    let shown = AtomicUsize::new(0);
    let follow = |new: &str| {
        shown.fetch_add(new.chars().count(), Ordering::Relaxed);
        let mut out = std::io::stdout();
        let _ = out.write_all(new.as_bytes());
        let _ = out.flush();
    };
    let result = ssm.wait(&id, &signals.stop, &follow).await;
    let output = match result {
        Ok(output) => output,
        Err(error) => {
            if let Some(signal) = signals.received() {
                stderr_line(&format!(
                    "baker: {signal}: asked SSM to cancel command {id} on {instance}"
                ));
                return Ok(if signal == "SIGTERM" { 143 } else { 130 });
            }
            return Err(Error::Exec(Box::new(error)));
        }
    };
    let whole = WholeOutput::fetch(&aws.s3, &ssm.output, &id, instance, &output).await;
    let shown = shown.load(Ordering::Relaxed);
    let mut out = std::io::stdout();
    if let Some(stdout) = &whole.stdout {
        let _ = out.write_all(stdout.chars().skip(shown).collect::<String>().as_bytes());
    } else if shown == 0 {
        let _ = out.write_all(output.stdout.as_bytes());
    }
    let _ = out.flush();
    stderr_text(whole.stderr.as_deref().unwrap_or(&output.stderr));
    for note in truncation_notes(&output, &ssm.output, &id, instance) {
        stderr_line(&format!("baker: {note}"));
    }
    for problem in &whole.problems {
        stderr_line(&format!("baker: {problem}"));
    }
    if output.success() {
        return Ok(0);
    }
    if output.status != "Failed" {
        stderr_line(&format!(
            "baker: the command ended with status {}",
            output.status
        ));
    }
    Ok(exit_code(&output))
}

/// The streams SSM cut, read whole from the output bucket.
#[derive(Debug, Default)]
struct WholeOutput {
    stdout: Option<String>,
    stderr: Option<String>,
    /// Why a stream could not be read from there.
    problems: Vec<String>,
}

impl WholeOutput {
    async fn fetch(
        s3: &aws_sdk_s3::Client,
        kept: &SsmOutput,
        command_id: &str,
        instance: &str,
        output: &RemoteOutput,
    ) -> WholeOutput {
        let mut whole = WholeOutput::default();
        if kept.s3_bucket.is_empty() {
            return whole;
        }
        for (stream, text, limit) in [
            ("stdout", &output.stdout, STDOUT_LIMIT),
            ("stderr", &output.stderr, STDERR_LIMIT),
        ] {
            if text.chars().count() < limit {
                continue;
            }
            match kept.read_stream(s3, command_id, instance, stream).await {
                Ok(Some(text)) if stream == "stdout" => whole.stdout = Some(text),
                Ok(Some(text)) => whole.stderr = Some(text),
                Ok(None) => {}
                Err(why) => whole.problems.push(format!("the whole {stream}: {why}")),
            }
        }
        whole
    }
}

/// The remote exit code as baker's, 1 when it is not one a process can have.
pub fn exit_code(output: &RemoteOutput) -> u8 {
    u8::try_from(output.exit_code)
        .ok()
        .filter(|c| *c != 0)
        .unwrap_or(1)
}

/// What the remote shell runs: the script file, or the words typed after
/// `--`, each quoted.
fn remote_script(args: &ExecArgs) -> Result<String, Error> {
    match &args.script {
        Some(path) => std::fs::read_to_string(path).map_err(|e| Error::Override {
            source_name: "--script".to_string(),
            message: format!("cannot read {}: {e}", path.display()),
        }),
        None => Ok(command_line(&args.command)),
    }
}

/// The words as one shell command line that gives the remote program
/// exactly these arguments.
pub fn command_line(words: &[String]) -> String {
    words
        .iter()
        .map(|word| shell_word(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word as the shell must see it: unchanged when no character in it means
/// anything to a shell, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,/:=@%+".contains(c));
    if plain {
        word.to_string()
    } else {
        sh_quote(word)
    }
}

/// Says so when GetCommandInvocation returned only the first characters of
/// stdout (24,000) or stderr (8,000), and where the whole output is kept.
pub fn truncation_notes(
    output: &RemoteOutput,
    kept: &SsmOutput,
    command_id: &str,
    instance: &str,
) -> Vec<String> {
    let streams = [
        ("stdout", &output.stdout, STDOUT_LIMIT),
        ("stderr", &output.stderr, STDERR_LIMIT),
    ];
    streams
        .into_iter()
        .filter(|(_, text, limit)| text.chars().count() >= *limit)
        .map(|(stream, text, limit)| {
            let whole = kept
                .where_stream_kept(command_id, instance, stream)
                .map(|place| format!("the whole {stream} is kept in {place}"))
                .unwrap_or_else(|| {
                    "set communicator.output_s3_bucket or communicator.cloudwatch_log_group \
                     to keep it all"
                        .to_string()
                });
            format!(
                "SSM returned only the first {limit} characters of {stream} ({} shown); {whole}",
                text.chars().count()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn plain_words_are_sent_as_typed() {
        let line = command_line(&words(&["journalctl", "-u", "nodeapp", "--no-pager"]));
        assert_eq!(line, "journalctl -u nodeapp --no-pager");
    }

    #[test]
    fn each_word_stays_one_argument() {
        let line = command_line(&words(&["sh", "-c", "echo oops >&2; exit 7"]));
        assert_eq!(line, "sh -c 'echo oops >&2; exit 7'");
        let line = command_line(&words(&["echo", "it's", "", "$HOME", "*"]));
        assert_eq!(line, r"echo 'it'\''s' '' '$HOME' '*'");
    }

    #[test]
    fn a_truncated_stream_is_named_with_where_it_is_kept() {
        let output = RemoteOutput {
            status: "Success".to_string(),
            exit_code: 0,
            stdout: "x".repeat(STDOUT_LIMIT),
            stderr: "short".to_string(),
        };
        let nowhere = truncation_notes(&output, &SsmOutput::default(), "c1", "i-1");
        assert_eq!(nowhere.len(), 1, "{nowhere:?}");
        assert!(
            nowhere[0].contains("first 24000 characters of stdout"),
            "{nowhere:?}"
        );
        assert!(nowhere[0].contains("output_s3_bucket"), "{nowhere:?}");
        let bucket = SsmOutput {
            s3_bucket: "logs".to_string(),
            ..SsmOutput::default()
        };
        let kept = truncation_notes(&output, &bucket, "c1", "i-1");
        assert!(kept[0].contains("s3://logs/c1/i-1/"), "{kept:?}");
        assert!(kept[0].ends_with("/stdout"), "{kept:?}");
    }
}
