//! `baker build`: settle what to build (config, CI values, image name,
//! bundle) before the first AWS call, then run the steps.

use crate::aws::Clients;
use crate::cli::{BuildArgs, OutputFormat};
use crate::error::Error;
use crate::output::stdout_line;
use crate::progress::Progress;
use crate::signals::Signals;
use crate::steps::{self, BuildState, Ctx, Spec, runner};

pub async fn run(args: BuildArgs) -> Result<u8, Error> {
    let spec = spec(&args)?;
    let signals = Signals::install().map_err(Error::Signals)?;
    let progress = Progress::detect();
    if let Some(note) = crate::bundle::left_out_note(&spec.bundle) {
        progress.info(&note);
    }
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
    if ctx.spec.config.image.skip_create_ami {
        ctx.progress.info(
            "image.skip_create_ami: provisioning dry run: the builder is provisioned, \
             then removed; no image, no manifest entry, no prune",
        );
    }
    let result = runner::run(&ctx, &steps::for_spec(&ctx.spec), &mut state).await;
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
        // No image (image.skip_create_ami): nothing to print.
        OutputFormat::Text if image.id.is_empty() => {}
        OutputFormat::Text => stdout_line(&image.id),
        OutputFormat::Json => {
            let json = serde_json::json!({
                "ami_id": Some(&image.id).filter(|id| !id.is_empty()),
                "skip_create_ami": ctx.spec.config.image.skip_create_ami,
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

/// Everything about the build that needs no AWS call, settled by the
/// same code `baker validate` runs.
pub fn spec(args: &BuildArgs) -> Result<Spec, Error> {
    super::settle::settle(&super::settle::Inputs {
        config: &args.config,
        overrides: &args.overrides,
        commit: args.commit.as_deref(),
        build_number: args.build_number.as_deref(),
        manifest: args.manifest.as_deref(),
        on_error: args.on_error,
    })
}
