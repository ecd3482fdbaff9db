//! `make bench` figures that need the emulated cloud: a `baker build` (wall
//! time and AWS calls) and a refresh of the whole example stack (AWS calls
//! per resource and the wall time of `terraform plan`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::ec2::amazon_image_ids;
use crate::error::{HarnessError, Result};
use crate::{MotoServer, Workspace, example_dir};

/// What one measurement found.
pub struct Figure {
    pub wall: Duration,
    pub calls: u64,
}

fn calls(moto: &MotoServer) -> Result<u64> {
    Ok(moto.control("GET", "calls", json!({}))?["total"]
        .as_u64()
        .unwrap_or(0))
}

async fn source_image(moto: &MotoServer) -> Result<String> {
    let ec2 = moto.ec2_client().await;
    amazon_image_ids(&ec2, 1)
        .await?
        .pop()
        .ok_or_else(|| HarnessError::Setup("the emulator has no Amazon images".into()))
}

/// One `baker build` of the repository's baker.toml against a fresh emulator.
pub async fn baker_build(baker: &Path) -> Result<Figure> {
    let moto = MotoServer::start()?;
    let image = source_image(&moto).await?;
    moto.control("POST", "calls/reset", json!({}))?;
    let repo = example_dir().join("..");
    let scratch = tempfile::tempdir()
        .map_err(|e| HarnessError::io("creating a directory for the manifest", e))?;
    let manifest = scratch.path().join("manifest.json");
    let started = Instant::now();
    let out = Command::new(baker)
        .current_dir(&repo)
        .args([
            "build",
            "--source-ami",
            &image,
            "--commit",
            "0123456789abcdef",
            "--build-number",
            "1",
            "--manifest",
        ])
        .arg(&manifest)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", crate::moto::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", crate::moto::SECRET_ACCESS_KEY)
        .env("AWS_REGION", crate::moto::REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CI", "true")
        .output()
        .map_err(|source| HarnessError::Spawn {
            program: baker.display().to_string(),
            source,
        })?;
    let wall = started.elapsed();
    if !out.status.success() {
        return Err(HarnessError::Setup(format!(
            "baker build failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(Figure {
        wall,
        calls: calls(&moto)?,
    })
}

/// The example stack applied, then one `terraform plan` (which refreshes
/// every resource). Returns the plan's figure and the number of resources.
pub async fn stack_refresh(provider_dir: &Path) -> Result<(Figure, u64)> {
    let moto = MotoServer::start()?;
    let image = source_image(&moto).await?;
    let mut workspace = Workspace::with_provider_dir(&moto.endpoint(), provider_dir)?;
    workspace.copy_config_from(&example_dir())?;
    workspace.set_var("image_id", &image);
    // An Amazon image, not baked by baker: no app-port / health-path tags.
    workspace.set_var("app_port", "8080");
    workspace.set_var("health_path", "/health");
    workspace.apply()?;
    let state = workspace.show_json()?;
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .map_or(0, Vec::len) as u64;
    moto.control("POST", "calls/reset", json!({}))?;
    let started = Instant::now();
    workspace.plan_detailed()?;
    let wall = started.elapsed();
    if std::env::var_os("BENCH_SHOW_CALLS").is_some() {
        eprintln!("{}", moto.control("GET", "calls", json!({}))?);
    }
    Ok((
        Figure {
            wall,
            calls: calls(&moto)?,
        },
        resources,
    ))
}
