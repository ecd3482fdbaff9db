//! The story `make demo` tells (src/bin/demo.rs is its entry point): six
//! stages, each printing its real commands, the interesting part of their
//! output and one `✓` line of what happened. A failure names its stage; the
//! emulator and every temporary directory belong to [`run`], so they are
//! gone once it returns, whatever happened.

use std::future::Future;

use anyhow::{Context, Result, bail, ensure};
use serde_json::json;

use super::baker::{Baked, Baker};
use super::cloud::Cloud;
use super::mirror::{Mirror, VERSION};
use super::report::{self, diagnostics, lines_with, short};
use super::{profile_dir, repo_root};
use crate::provider_binary::BINARY_NAME;
use crate::{MotoServer, Workspace, example_dir};

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

/// The id of the newest image baker made, with its build number checked.
async fn baker_image(cloud: &Cloud, expected: usize) -> Result<String> {
    let images = cloud.baked_images(APP).await?;
    ensure!(
        images.len() == expected,
        "expected {expected} baked image(s), found {images:?}"
    );
    images.last().cloned().context("no baked image")
}

async fn first_bake(moto: &MotoServer, cloud: &Cloud) -> Result<((Baker, String), String)> {
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
fn bake(baker: &mut Baker, build: u32, steps: bool) -> Result<Baked> {
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

fn describe(baked: &Baked) -> String {
    format!(
        "{} ({}, commit {}, build {}, from {})",
        baked.ami_id,
        baked.name,
        short(&baked.commit),
        baked.build,
        baked.source_ami
    )
}

async fn first_deploy(
    moto: &MotoServer,
    cloud: &Cloud,
    baker: &Baker,
    v1: &str,
) -> Result<((Mirror, Workspace), String)> {
    let provider = profile_dir()?.join(BINARY_NAME);
    ensure!(
        provider.is_file(),
        "the provider is not built at {}; build it with `cargo build -p terraform-provider-roundrobin`",
        provider.display()
    );
    let mirror = Mirror::install(&provider)?;
    let shown = provider
        .strip_prefix(repo_root())
        .unwrap_or(&provider)
        .display()
        .to_string();
    report::output([format!(
        "installed {shown} as {} (v{VERSION}, as `make install` would)",
        mirror.installed().display()
    )]);
    report::output(["CLI configuration (TF_CLI_CONFIG_FILE):"]);
    report::output(mirror.cli_config().lines().map(|line| format!("  {line}")));

    let mut workspace = Workspace::with_cli_config(&moto.endpoint(), &mirror.cli_config())?;
    // Offline: any attempt to reach a registry would go to a dead proxy;
    // loopback (the emulator) is exempt.
    workspace
        .set_env("HTTPS_PROXY", "http://127.0.0.1:9")
        .set_env("HTTP_PROXY", "http://127.0.0.1:9")
        .set_env("NO_PROXY", "127.0.0.1,localhost");
    workspace.copy_config_from(&example_dir())?;
    report::output([format!(
        "copied terraform/*.tf to {} (no -var image_id: the roundrobin_ami data source picks the newest image tagged app={APP})",
        workspace.path().display()
    )]);

    report::command("terraform init -input=false");
    let init = workspace.run(&["init", "-no-color", "-input=false"])?;
    if !init.success() {
        bail!("terraform init failed:\n{init}");
    }
    report::output(lines_with(
        &init.stdout,
        &[
            "Finding latest version",
            "roundrobin/roundrobin v",
            "created a lock file",
            "successfully initialized",
        ],
    ));
    let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl"))
        .context("terraform init wrote no .terraform.lock.hcl")?;
    report::output(
        lines_with(&lock, &["provider \"", "version ", "\"h1:"])
            .into_iter()
            .map(|line| format!(".terraform.lock.hcl: {line}")),
    );

    report::command("terraform apply -auto-approve");
    let apply = workspace.apply()?;
    report::output(lines_with(&apply.stdout, &["Apply complete!"]));
    report::command("terraform output");
    let outputs = workspace.run(&["output", "-no-color"])?;
    report::output(outputs.stdout.trim_end().lines());

    let values = workspace.output_json()?;
    let value = |name: &str| {
        values[name]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    ensure!(
        value("ami_id") == v1,
        "the stack runs {} instead of the baked {v1}",
        value("ami_id")
    );
    ensure!(
        value("commit") == baker.commit(),
        "the commit output is {}, baker baked {}",
        value("commit"),
        baker.commit()
    );
    let group = cloud.group(GROUP).await?;
    report::output([format!("AWS: {group}")]);
    ensure!(group.runs("1", v1), "expected version 1 with {v1}: {group}");
    let zones: std::collections::BTreeSet<&str> =
        group.members.iter().map(|m| m.zone.as_str()).collect();
    let summary = format!(
        "stack up: {} -> group {GROUP}, {} instances in {} zones on launch template version 1 with AMI v1 {v1}",
        value("alb_url"),
        group.members.len(),
        zones.len()
    );
    Ok(((mirror, workspace), summary))
}

async fn roll_out(
    cloud: &Cloud,
    baker: &mut Baker,
    workspace: &Workspace,
) -> Result<(String, String)> {
    let baked = bake(baker, 2, false)?;
    let v2 = baked.ami_id.clone();
    ensure!(baker_image(cloud, 2).await? == v2, "{v2} is not the newest");

    report::command("terraform apply -auto-approve");
    let apply = workspace.apply()?;
    report::output(lines_with(
        &apply.stdout,
        &[
            "roundrobin_launch_template.app: Modifications complete",
            "roundrobin_autoscaling_group.app: Modifi",
            "roundrobin_autoscaling_group.app: Still modifying",
            "Apply complete!",
        ],
    ));
    let values = workspace.output_json()?;
    let version = values["launch_template_version"]["value"].clone();
    ensure!(
        values["ami_id"]["value"] == v2.as_str() && version == "2",
        "outputs after the rollout: {values}"
    );

    let group = cloud.group(GROUP).await?;
    report::output([format!("AWS: {group}")]);
    ensure!(
        group.runs("2", &v2),
        "apply returned but the group does not run version 2 with {v2}: {group}"
    );
    let summary = format!(
        "rollout waited: all {} instances of {GROUP} run launch template version 2 with AMI v2 {}",
        group.members.len(),
        describe(&baked)
    );
    Ok((v2, summary))
}

async fn failed_rollout(
    moto: &MotoServer,
    cloud: &Cloud,
    baker: &mut Baker,
    workspace: &mut Workspace,
    v2: &str,
) -> Result<((), String)> {
    let baked = bake(baker, 3, false)?;
    let v3 = baked.ami_id.clone();
    ensure!(baker_image(cloud, 3).await? == v3, "{v3} is not the newest");
    moto.control("POST", "unhealthy-images", json!({ "image_id": v3 }))?;
    report::output([format!(
        "emulator control POST /_emulator/unhealthy-images {{\"image_id\": \"{v3}\"}}: instances from v3 fail the load balancer's health checks"
    )]);

    workspace.set_var("rollout_timeout", "2m");
    report::command("terraform apply -auto-approve -var rollout_timeout=2m");
    let failed = workspace.apply_expecting_failure()?;
    let text = failed.combined();
    let found = diagnostics(&text);
    report::output(&found);
    ensure!(
        text.contains("Rollout of launch template version 3 failed")
            && text.contains("rolled back"),
        "apply failed, but not with the rollout diagnostic:\n{failed}"
    );
    let lowered = text.to_lowercase();
    ensure!(
        !lowered.contains("panic") && !lowered.contains("plugin did not respond"),
        "the provider crashed:\n{failed}"
    );
    report::output([format!(
        "terraform exited with {}",
        failed.code.unwrap_or(-1)
    )]);

    let group = cloud.group(GROUP).await?;
    report::output([format!("AWS: {group}")]);
    ensure!(
        group.runs("2", v2),
        "the group is not back on version 2 with {v2}: {group}"
    );
    let summary = format!(
        "rollout of v3 {v3} failed and was rolled back: {GROUP} is back on launch template version 2 with AMI v2 {v2}"
    );
    Ok(((), summary))
}

async fn tear_down(
    moto: MotoServer,
    cloud: Cloud,
    baker: Baker,
    mirror: Mirror,
    workspace: Workspace,
) -> Result<((), String)> {
    report::command("terraform destroy -auto-approve");
    let destroy = workspace.destroy()?;
    report::output(lines_with(&destroy.stdout, &["Destroy complete!"]));

    let left = cloud.leftovers().await?;
    report::output([format!("AWS: {left}")]);
    ensure!(left.is_empty(), "left behind: {left}");
    let images = cloud.baked_images(APP).await?;
    let builds = baker.manifest_builds()?;
    report::output([format!(
        "the baked AMIs stay (they are the artifacts): {}; manifest.json records {builds} builds",
        images.join(", ")
    )]);
    ensure!(
        images.len() == 3,
        "expected 3 baked images, found {images:?}"
    );

    let port = moto.port();
    drop(workspace);
    drop(mirror);
    drop(baker);
    drop(cloud);
    drop(moto);
    ensure!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the emulator still answers on port {port}"
    );
    let summary = format!(
        "nothing left but the {} AMIs; emulator on port {port} stopped, temporary directories removed",
        images.len()
    );
    Ok(((), summary))
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
