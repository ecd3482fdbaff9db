//! How the story bakes: `baker build` run with its command line and the
//! progress lines worth showing, the image checked to be the newest, and
//! what the API-only emulator did not do said where it matters (stage 2,
//! and the bakes of stages 4 and 5).

use anyhow::{Context, Result, ensure};

use super::APP;
use crate::MotoServer;
use crate::demo::baker::{Baked, Baker};
use crate::demo::cloud::Cloud;
use crate::demo::report::{self, short};

/// The id of the newest image baker made, with its build number checked.
pub(super) async fn baker_image(cloud: &Cloud, expected: usize) -> Result<String> {
    let images = cloud.baked_images(APP).await?;
    ensure!(
        images.len() == expected,
        "expected {expected} baked image(s), found {images:?}"
    );
    images.last().cloned().context("no baked image")
}

pub(super) async fn first_bake(
    moto: &MotoServer,
    cloud: &Cloud,
) -> Result<((Baker, String), String)> {
    let (source, name) = cloud.source_image().await?;
    report::output([format!(
        "source AMI: {source} ({name}), an Amazon image in the emulator"
    )]);
    report::output([API_ONLY.to_owned()]);
    let mut baker = Baker::new(&moto.endpoint(), &source)?;
    let baked = bake(&mut baker, 1, true)?;
    ensure!(
        baker_image(cloud, 1).await? == baked.ami_id,
        "{} is not the newest image",
        baked.ami_id
    );
    let summary = format!("AMI v1: {}", describe(&baked));
    Ok(((baker, baked.ami_id), summary))
}

/// What this mode does not do, said where it matters: the emulator's
/// instances here are records, so an SSM command is recorded and answered
/// Success, but nothing runs it.
const API_ONLY: &str = "API-only mode: instances are records, SSM commands are recorded and answered, \
                        not run (`make demo-live` runs them on real machines)";

/// Runs `baker build` and prints its command line and progress (every step
/// when `steps`, else the first and the image lines).
pub(super) fn bake(baker: &mut Baker, build: u32, steps: bool) -> Result<Baked> {
    report::command(&baker.command_line(build));
    let baked = baker.build(build)?;
    let shown: Vec<String> = baked
        .progress
        .iter()
        .filter(|line| {
            line.starts_with("baking ")
                || line.starts_with("✓  create image")
                || (steps && (line.starts_with("✓") || line.starts_with("cleanup")))
        })
        .map(|line| recorded_not_run(line))
        .collect();
    report::output(&shown);
    report::output([format!("stdout: {{\"ami_id\": \"{}\", …}}", baked.ami_id)]);
    Ok(baked)
}

/// baker's line for a step whose SSM command the API-only emulator only
/// recorded (provision, generalize), without its claims of what the command
/// did on the machine (`✓  provision: nodeapp installed in /opt/nodeapp, … (0.4s)`).
fn recorded_not_run(line: &str) -> String {
    match line.split_once(": ") {
        Some((step, _)) if SSM_STEPS.iter().any(|name| step.ends_with(name)) => format!(
            "{step}: its script was sent (SSM SendCommand) and recorded; \
             no machine ran it in API-only mode"
        ),
        _ => line.to_owned(),
    }
}

/// baker's steps that act on the builder through an SSM command.
const SSM_STEPS: [&str; 2] = ["✓  provision", "✓  generalize"];

pub(super) fn describe(baked: &Baked) -> String {
    format!(
        "{} ({}, commit {}, build {}, from {})",
        baked.ami_id,
        baked.name,
        short(&baked.commit),
        baked.build,
        baked.source_ami
    )
}

#[cfg(test)]
mod tests {
    use super::recorded_not_run;

    #[test]
    fn api_only_mode_does_not_claim_what_no_machine_did() {
        let line = "✓  provision: nodeapp installed in /opt/nodeapp, nodeapp.service enabled, /health answers (0.4s)";
        let shown = recorded_not_run(line);
        assert!(shown.starts_with("✓  provision: "), "{shown}");
        assert!(!shown.contains("/health answers"), "{shown}");
        assert!(shown.contains("no machine ran it"), "{shown}");
        let generalized = recorded_not_run(
            "✓  generalize: machine id, journal … cleared as it powers off (0.1s)",
        );
        assert!(generalized.contains("no machine ran it"), "{generalized}");
        let other = "✓  create image: ami-0123 (3.1s)";
        assert_eq!(recorded_not_run(other), other);
    }
}
