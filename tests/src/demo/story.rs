//! The story `make demo` tells (src/bin/demo.rs is its entry point): six
//! stages, each printing its real commands, the interesting part of their
//! output and one `✓` line of what happened. A failure names its stage; the
//! emulator and every temporary directory belong to [`run`], so they are
//! gone once it returns, whatever happened.
//!
//! The stages after the first, by what they do:
//! - `baking`: baker builds an image, shown for what the API-only
//!   emulator did with it (stage 2; stages 4 and 5 bake too).
//! - `first_deploy`: the provider installed from a mirror, `terraform init`
//!   and the first apply of `terraform/` (stage 3).
//! - `rollouts`: a new image rolled out, and one that cannot become healthy
//!   rolled back (stages 4 and 5).
//! - `tear_down`: `terraform destroy`, nothing left, the emulator stopped
//!   (stage 6).

mod baking;
mod first_deploy;
mod rollouts;
mod tear_down;

use std::future::Future;

use anyhow::Result;

use self::baking::first_bake;
use self::first_deploy::first_deploy;
use self::rollouts::{failed_rollout, roll_out};
use self::tear_down::tear_down;
use super::cloud::Cloud;
use super::report;
use crate::MotoServer;

/// How many stages the story has.
pub const STAGES: usize = 6;
/// The app `baker.toml` bakes and the example stack deploys.
const APP: &str = "nodeapp";
/// The autoscaling group of the example stack.
const GROUP: &str = "nodeapp";

/// Runs one of this story's stages (see [`report::stage`]).
async fn stage<T>(
    number: usize,
    title: &str,
    work: impl Future<Output = Result<(T, String)>>,
) -> Result<T> {
    report::stage(number, STAGES, title, work).await
}

/// The whole story, from starting the emulator to stopping it.
pub async fn run() -> Result<()> {
    let (moto, cloud) = stage(1, "start the emulated cloud", start_emulator()).await?;
    let (mut baker, v1) = stage(2, "bake AMI v1 with baker", first_bake(&moto, &cloud)).await?;
    let (mirror, mut workspace) = stage(
        3,
        "install the provider, terraform init + apply of terraform/",
        first_deploy(&moto, &cloud, &baker, &v1),
    )
    .await?;
    let v2 = stage(
        4,
        "bake AMI v2 and roll it out",
        roll_out(&cloud, &mut baker, &workspace),
    )
    .await?;
    stage(
        5,
        "bake AMI v3 that cannot become healthy: the rollout fails and is rolled back",
        failed_rollout(&moto, &cloud, &mut baker, &mut workspace, &v2),
    )
    .await?;
    stage(
        6,
        "terraform destroy; check that nothing is left; stop the emulator",
        tear_down(moto, cloud, baker, mirror, workspace),
    )
    .await?;
    Ok(())
}

async fn start_emulator() -> Result<((MotoServer, Cloud), String)> {
    let moto = MotoServer::start()?;
    let cloud = Cloud::connect(&moto).await;
    let vpc = cloud.default_vpc().await?;
    let summary = format!(
        "emulator (python3 -m emulator: moto extended) on {}: region us-east-1, default VPC {vpc}; no AWS account",
        moto.endpoint()
    );
    Ok(((moto, cloud), summary))
}
