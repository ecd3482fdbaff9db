//! `baker exec --instance-id ID -- CMD...`: troubleshooting without SSH.
//! The command runs through SSM as root; its stdout and stderr are printed
//! and baker exits with its exit code.

use std::io::Write;

use crate::aws::Clients;
use crate::cli::ExecArgs;
use crate::communicator::ssm::Ssm;
use crate::communicator::ssm_output::SsmOutput;
use crate::ec2::backoff;
use crate::error::Error;
use crate::signals::Signals;

pub async fn run(args: ExecArgs) -> Result<u8, Error> {
    let config = super::load_config(&args.config, &[], false)?;
    let signals = Signals::install().map_err(Error::Signals)?;
    let aws = Clients::connect(&config.aws, None).await?;
    let ssm = Ssm {
        client: &aws.ssm,
        instance: &args.instance_id,
        backoff: backoff(&config.wait, args.timeout.max(1)),
        output: SsmOutput::from_config(&config.communicator),
    };
    let script = args.command.join(" ");
    let id = ssm
        .send(&script, "baker exec")
        .await
        .map_err(|e| Error::Exec(Box::new(e)))?;
    let output = ssm
        .wait(&id, &signals.stop, &|_| {})
        .await
        .map_err(|e| Error::Exec(Box::new(e)))?;
    print!("{}", output.stdout);
    eprint!("{}", output.stderr);
    let _ = std::io::stdout().flush();
    if output.success() {
        return Ok(0);
    }
    if output.status != "Failed" {
        eprintln!("baker: the command ended with status {}", output.status);
    }
    Ok(u8::try_from(output.exit_code)
        .ok()
        .filter(|c| *c != 0)
        .unwrap_or(1))
}
