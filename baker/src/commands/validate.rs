//! `baker validate`: exactly what `baker build` checks before its first AWS
//! call (the same code, [`super::settle`]), with no AWS call: every problem
//! with the configuration, by field, and the image name this checkout gets.

use crate::cli::ValidateArgs;
use crate::error::Error;
use crate::output::stdout_line;
use crate::steps::OnError;

pub fn run(args: &ValidateArgs) -> Result<u8, Error> {
    let spec = super::settle::settle(&super::settle::Inputs {
        config: &args.config,
        overrides: &args.overrides,
        commit: args.commit.as_deref(),
        build_number: args.build_number.as_deref(),
        manifest: args.manifest.as_deref(),
        on_error: OnError::Cleanup,
    })?;
    stdout_line(&format!("{}: valid", args.config.config.display()));
    stdout_line(&format!(
        "image name for this checkout: {}",
        spec.image_name
    ));
    if let Some(note) = crate::bundle::left_out_note(&spec.bundle) {
        stdout_line(&note);
    }
    Ok(0)
}
