//! Step 12: append this build to `manifest.json`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use super::{BuildState, Ctx, Step};
use crate::error::StepError;
use crate::manifest::{self, BUILDER_TYPE, BuildEntry};
use crate::progress::StepLine;

pub struct WriteManifest;

#[async_trait]
impl Step for WriteManifest {
    fn name(&self) -> &'static str {
        "write manifest"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _line: &StepLine,
    ) -> Result<String, StepError> {
        let spec = &ctx.spec;
        let image = state
            .image
            .clone()
            .ok_or_else(|| StepError::unexpected("no image was created"))?;
        let source = state.source.clone().unwrap_or_default();
        let entry = BuildEntry {
            name: spec.config.app.name.clone(),
            builder_type: BUILDER_TYPE.into(),
            build_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            files: None,
            artifact_id: format!("{}:{}", ctx.aws.region, image.id),
            packer_run_uuid: spec.build_id.clone(),
            custom_data: BTreeMap::from([
                ("app".into(), spec.config.app.name.clone()),
                ("commit".into(), spec.info.commit.clone()),
                ("build".into(), spec.info.build.clone()),
                ("image_name".into(), spec.image_name.clone()),
                ("source_ami".into(), source.id),
                ("snapshots".into(), image.snapshots.join(",")),
                (
                    "generalized".into(),
                    state.generalized.unwrap_or(false).to_string(),
                ),
            ]),
            amis: amis(ctx, state, &image.id),
        };
        let path = spec.config.output.manifest.clone();
        manifest::append(&path, entry).map_err(|source| StepError::Io {
            what: "writing the manifest",
            path: path.clone(),
            source,
        })?;
        state.manifest = Some(path.clone());
        Ok(path.display().to_string())
    }
}

/// Region → AMI id: the build region's image and each copy.
pub fn amis(ctx: &Ctx, state: &BuildState, image_id: &str) -> BTreeMap<String, String> {
    let mut amis = BTreeMap::from([(ctx.aws.region.clone(), image_id.to_string())]);
    for copy in &state.copies {
        if let Some(id) = &copy.id {
            amis.insert(copy.region.clone(), id.clone());
        }
    }
    amis
}
