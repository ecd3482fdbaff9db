//! Stages 4 and 5: a new image baked and rolled out, the apply waiting until
//! every instance runs it; then an image that cannot become healthy, whose
//! rollout fails and is rolled back to the version before.

use anyhow::{Result, ensure};
use serde_json::json;

use super::GROUP;
use super::baking::{bake, baker_image, describe};
use crate::demo::baker::Baker;
use crate::demo::cloud::Cloud;
use crate::demo::report::{self, diagnostics, lines_with};
use crate::{MotoServer, Workspace};

pub(super) async fn roll_out(
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

pub(super) async fn failed_rollout(
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
