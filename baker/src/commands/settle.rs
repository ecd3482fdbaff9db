//! What to build, settled before the first AWS call: the configuration, the
//! CI values, the image name, the manifest's place and the bundle. `baker
//! build` and `baker validate` both run this one function, so they give one
//! verdict, with the same messages.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::bundle;
use crate::cli::{ConfigArgs, OverrideArgs};
use crate::config::{Config, base_dir, ci, image_regions, tag_templates, validate};
use crate::error::{Error, Problem, Problems};
use crate::manifest;
use crate::steps::{OnError, Spec};
use crate::template;

/// What the command line gives.
pub struct Inputs<'a> {
    pub config: &'a ConfigArgs,
    pub overrides: &'a OverrideArgs,
    pub commit: Option<&'a str>,
    pub build_number: Option<&'a str>,
    pub manifest: Option<&'a Path>,
    pub on_error: OnError,
}

/// Every problem found is reported at once.
pub fn settle(inputs: &Inputs<'_>) -> Result<Spec, Error> {
    let mut overrides = inputs.overrides.pairs();
    if let Some(manifest) = inputs.manifest {
        overrides.push(("output.manifest", manifest.display().to_string()));
    }
    let config = super::load_config(inputs.config, &overrides, true)?;
    let base = base_dir(&inputs.config.config);
    let env = |name: &str| std::env::var(name).ok();
    let detected = ci::detect(inputs.commit, inputs.build_number, &env, &base);
    let mut problems = validate::check_build(&config, &base, detected.as_ref().ok());
    problems.extend(sharing_problems(&config, &env));
    let info = match detected {
        Ok(info) => Some(info),
        Err(message) => {
            problems.push(Problem::new("commit", message));
            None
        }
    };
    // Checked before any AWS call: a manifest that cannot be written must
    // not fail the build after the image exists.
    if let Err(message) = manifest::check(&config.output.manifest) {
        problems.push(Problem::new("output.manifest", message));
    }
    let mut image_name = String::new();
    let mut config = config;
    if let Some(info) = &info {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let values = template::values(
            &config.app.name,
            &info.build,
            &info.commit,
            info.short_commit(),
            timestamp,
        );
        match template::render(&config.image.name_template, &values)
            .and_then(|n| template::check_ami_name(&n).map(|()| n))
        {
            Ok(name) => image_name = name,
            Err(e) => problems.push(Problem::new("image.name_template", e)),
        }
        // The tags' placeholders, with the name's values (one timestamp).
        if problems.is_empty() {
            problems.extend(tag_templates::render(&mut config, &values));
        }
    }
    let Some(info) = info.filter(|_| problems.is_empty()) else {
        return Err(Error::Invalid(Problems(problems)));
    };

    let unit = base.join(&config.app.unit);
    let bundle = bundle::pack(&base.join(&config.app.dir), &unit, &config.app.include)?;
    let unit_name = bundle::unit_file_name(&unit)?;
    Ok(Spec {
        config,
        base_dir: base,
        info,
        image_name,
        build_id: new_build_id(),
        bundle,
        unit_name,
        on_error: inputs.on_error,
    })
}

/// Copies whose snapshots `image.snapshot_users` could not use, when the
/// build region is known without asking AWS (`aws.region`, `--region`,
/// `AWS_REGION`, `AWS_DEFAULT_REGION`); with the region only in a profile,
/// the `check copy regions` step says the same before anything is made.
fn sharing_problems(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Vec<Problem> {
    let region = Some(config.aws.region.clone())
        .filter(|r| !r.is_empty())
        .or_else(|| env("AWS_REGION").filter(|r| !r.is_empty()))
        .or_else(|| env("AWS_DEFAULT_REGION").filter(|r| !r.is_empty()));
    let Some(region) = region else {
        return Vec::new();
    };
    image_regions::unshareable(config, &region)
        .first()
        .map(|region| image_regions::unshareable_problem(region))
        .into_iter()
        .collect()
}

/// 12 random hex digits.
fn new_build_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}
