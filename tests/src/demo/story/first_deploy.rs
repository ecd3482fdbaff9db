//! Stage 3: the provider installed into a filesystem mirror as `make
//! install` would, `terraform init` offline against it, and the first apply
//! of `terraform/` checked against what the emulated cloud runs.

use anyhow::{Context, Result, bail, ensure};

use super::{APP, GROUP};
use crate::demo::baker::Baker;
use crate::demo::cloud::Cloud;
use crate::demo::mirror::{Mirror, VERSION};
use crate::demo::report::{self, lines_with};
use crate::demo::{profile_dir, repo_root};
use crate::provider_binary::BINARY_NAME;
use crate::{MotoServer, Workspace, example_dir};

pub(super) async fn first_deploy(
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
