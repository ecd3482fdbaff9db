//! `baker`: parse the command line, set up logging, run the command, turn
//! its result into an exit code. Everything else lives in the library.

use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use anyhow::Context as _;
use baker::output::stderr_line;
use clap::Parser as _;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = baker::cli::Cli::parse();
    init_logging(cli.verbose);
    // A panic outside the build's steps (theirs are caught by the runner,
    // which cleans up after them) still ends with the crash's exit code.
    let Ok(result) = std::panic::catch_unwind(AssertUnwindSafe(|| run(cli))) else {
        stderr_line("baker: error: baker crashed (a bug in baker, please report it)");
        return ExitCode::from(baker::error::CRASHED);
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            stderr_line(&format!("baker: error: {error:#}"));
            let code = error
                .downcast_ref::<baker::Error>()
                .map_or(1, baker::Error::exit_code);
            ExitCode::from(code)
        }
    }
}

fn run(cli: baker::cli::Cli) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(baker::commands::run(cli))?)
}

/// RUST_LOG when set; otherwise warnings, and more with each -v.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "warn,baker=debug",
        2 => "info,baker=debug",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
