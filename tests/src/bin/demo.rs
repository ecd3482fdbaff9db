//! `make demo`: the example stack in `terraform/`, applied and destroyed by the
//! real terraform CLI with our provider, against an emulated cloud on this
//! machine (moto server): no AWS account needed. Build the provider first
//! (`cargo build -p terraform-provider-roundrobin`); this program builds nothing.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use e2e::ec2::{Inventory, amazon_image_ids};
use e2e::{MotoServer, Workspace, example_dir};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let started = Instant::now();

    let moto = MotoServer::start().context("starting the emulated cloud")?;
    stage(&format!(
        "emulated cloud (moto) listening on {}",
        moto.endpoint()
    ));
    let ec2 = moto.ec2_client().await;

    let image = amazon_image_ids(&ec2, 1)
        .await?
        .pop()
        .context("the emulated cloud has no Amazon images")?;
    stage(&format!(
        "image to boot from: {image} (an Amazon AMI in the emulator)"
    ));

    let mut workspace = Workspace::new(&moto)?;
    workspace.copy_config_from(&example_dir())?;
    workspace.set_var("image_id", &image);
    stage(&format!(
        "copied {} to {}",
        example_dir().display(),
        workspace.path().display()
    ));

    stage("terraform apply");
    workspace.apply()?;
    let outputs = workspace.run(&["output", "-no-color"])?;
    println!("{}", indent(&outputs.stdout));

    let held = Inventory::take(&ec2).await?;
    stage(&format!("the cloud now holds {held}"));
    ensure!(
        held.security_groups.len() == 1 && held.launch_templates.len() == 1,
        "expected one security group and one launch template, found {held}"
    );

    stage("terraform destroy");
    workspace.destroy()?;
    let left = Inventory::take(&ec2).await?;
    ensure!(left.is_empty(), "destroy left things behind: {left}");
    stage("nothing left behind");

    drop(workspace);
    drop(moto);
    stage(&format!(
        "emulated cloud stopped; done in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn stage(line: &str) {
    println!("==> {line}");
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
