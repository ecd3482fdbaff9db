//! `baker validate`: every problem with the configuration, by field, with no
//! AWS call.

use crate::cli::ValidateArgs;
use crate::config::{base_dir, ci, validate};
use crate::error::{Error, Problems};
use crate::output::stdout_line;
use crate::template;

pub fn run(args: &ValidateArgs) -> Result<u8, Error> {
    let config = super::load_config(&args.config, &args.overrides.pairs(), true)?;
    let base = base_dir(&args.config.config);
    let env = |name: &str| std::env::var(name).ok();
    // The commit and build number of this checkout (or CI), when known,
    // are checked like `build` and `provision` check them.
    let detected = ci::detect(None, None, &env, &base);
    let problems = validate::check(&config, &base, detected.as_ref().ok());
    if !problems.is_empty() {
        return Err(Error::Invalid(Problems(problems)));
    }
    let example = match detected {
        Ok(info) => {
            let values = template::values(
                &config.app.name,
                &info.build,
                &info.commit,
                info.short_commit(),
                0,
            );
            template::render(&config.image.name_template, &values).unwrap_or_default()
        }
        Err(_) => String::new(),
    };
    stdout_line(&format!("{}: valid", args.config.config.display()));
    if !example.is_empty() {
        stdout_line(&format!("image name for this checkout: {example}"));
    }
    Ok(0)
}
