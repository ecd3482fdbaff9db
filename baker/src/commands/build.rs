//! `baker build`: settle what to build (config, CI values, image name,
//! bundle) before the first AWS call, then run the steps.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::aws::Clients;
use crate::bundle;
use crate::cli::{BuildArgs, OutputFormat};
use crate::config::{base_dir, ci, validate};
use crate::error::{Error, Problem, Problems};
use crate::manifest;
use crate::output::stdout_line;
use crate::progress::Progress;
use crate::signals::Signals;
use crate::steps::{self, BuildState, Ctx, Spec, runner};
use crate::template;

pub async fn run(args: BuildArgs) -> Result<u8, Error> {
    let spec = spec(&args)?;
    let signals = Signals::install().map_err(Error::Signals)?;
    let progress = Progress::detect();
    let aws = Clients::connect(&spec.config.aws, None).await?;
    progress.info(&format!(
        "baking {} (commit {}, build {}) in {}; build id {}",
        spec.image_name, spec.info.commit, spec.info.build, aws.region, spec.build_id
    ));
    let ctx = Ctx {
        aws,
        spec,
        signals,
        progress,
    };
    let mut state = BuildState::default();
    let result = runner::run(&ctx, &steps::all(), &mut state).await;
    let kept = state.image.clone().filter(|_| state.image_ready);
    match (result, kept) {
        (Ok(()), _) => {
            print_result(args.output, &ctx, &state, None);
            Ok(0)
        }
        // The image is complete and kept: its id goes to stdout as on
        // success, and the exit code says something after it failed.
        (Err(error), Some(image)) => {
            print_result(args.output, &ctx, &state, Some(&error.to_string()));
            Err(Error::ImageKept {
                image: image.id,
                error: Box::new(error),
            })
        }
        (Err(error), None) => Err(error),
    }
}

/// The AMI id as the last line of stdout, or one JSON object (with the
/// error when the build did not end cleanly).
fn print_result(output: OutputFormat, ctx: &Ctx, state: &BuildState, error: Option<&str>) {
    let image = state.image.clone().unwrap_or_default();
    match output {
        OutputFormat::Text => stdout_line(&image.id),
        OutputFormat::Json => {
            let json = serde_json::json!({
                "ami_id": image.id,
                "region": ctx.aws.region,
                "artifact_id": format!("{}:{}", ctx.aws.region, image.id),
                "name": ctx.spec.image_name,
                "app": ctx.spec.config.app.name,
                "commit": ctx.spec.info.commit,
                "build": ctx.spec.info.build,
                "source_ami": state.source.as_ref().map(|s| s.id.clone()),
                "snapshots": image.snapshots,
                // Every region's AMI id (image.ami_regions' copies too).
                "amis": if image.id.is_empty() {
                    std::collections::BTreeMap::new()
                } else {
                    steps::manifest::amis(ctx, state, &image.id)
                },
                "pruned": state.pruned,
                "pruned_copies": state.pruned_copies,
                "manifest": state.manifest.as_ref().map(|p| p.display().to_string()),
                "build_id": ctx.spec.build_id,
                "error": error,
            });
            stdout_line(&json.to_string());
        }
    }
}

/// Everything about the build that needs no AWS call; every problem found
/// is reported at once.
pub fn spec(args: &BuildArgs) -> Result<Spec, Error> {
    let mut overrides = args.overrides.pairs();
    if let Some(manifest) = &args.manifest {
        overrides.push(("output.manifest", manifest.display().to_string()));
    }
    let config = super::load_config(&args.config, &overrides, true)?;
    let base = base_dir(&args.config.config);
    let env = |name: &str| std::env::var(name).ok();
    let detected = ci::detect(
        args.commit.as_deref(),
        args.build_number.as_deref(),
        &env,
        &base,
    );
    let mut problems = validate::check_build(&config, &base, detected.as_ref().ok());
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
    }
    let Some(info) = info.filter(|_| problems.is_empty()) else {
        return Err(Error::Invalid(Problems(problems)));
    };

    let unit = base.join(&config.app.unit);
    let bundle = bundle::pack(&base.join(&config.app.dir), &unit)?;
    let unit_name = bundle::unit_file_name(&unit)?;
    Ok(Spec {
        config,
        base_dir: base,
        info,
        image_name,
        build_id: new_build_id(),
        bundle,
        unit_name,
        on_error: args.on_error,
    })
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
