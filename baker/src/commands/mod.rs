//! One entry point per subcommand; each returns the process's exit code.

pub mod build;
pub mod exec;
pub mod exec_fleet;
pub mod provision;
pub mod prune;
pub mod settle;
pub mod validate;

use crate::cli::{Cli, Command, ConfigArgs};
use crate::config::{Config, keys};
use crate::error::Error;

pub async fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Build(args) => build::run(args).await,
        Command::Validate(args) => validate::run(&args),
        Command::Exec(args) => exec::run(args).await,
        Command::Prune(args) => prune::run(args).await,
        Command::Provision(args) => provision::run(args).await,
    }
}

/// The configuration: defaults, the file, `BAKER_*` variables, then flags
/// (`overrides`, `--set`, `--region`). Without `required`, a missing file
/// means the defaults.
pub fn load_config(
    args: &ConfigArgs,
    overrides: &[(&'static str, String)],
    required: bool,
) -> Result<Config, Error> {
    let mut config = if required {
        Config::load(&args.config)?
    } else {
        Config::load_optional(&args.config)?
    };
    keys::apply_env(&mut config, &|name| std::env::var(name).ok())?;
    for (key, value) in overrides {
        config.set(key, value).map_err(|message| Error::Override {
            source_name: format!("the flag for {key}"),
            message,
        })?;
    }
    keys::apply_sets(&mut config, &args.set)?;
    if let Some(region) = args.region.as_ref().filter(|r| !r.is_empty()) {
        config.aws.region.clone_from(region);
    }
    Ok(config)
}
