//! Stage 6: `terraform destroy`, a check that nothing but the baked images
//! is left, and everything the story started stopped and removed.

use anyhow::{Result, ensure};

use super::APP;
use crate::demo::baker::Baker;
use crate::demo::cloud::Cloud;
use crate::demo::mirror::Mirror;
use crate::demo::report::{self, lines_with};
use crate::{MotoServer, Workspace};

pub(super) async fn tear_down(
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
