//! Step 2: fail before creating anything when the image name is taken (AWS
//! would reject it only after the builder was provisioned).

use async_trait::async_trait;

use super::{BuildState, Ctx, Step};
use crate::ec2::filter;
use crate::error::StepError;
use crate::progress::StepLine;

pub struct CheckImageName;

#[async_trait]
impl Step for CheckImageName {
    fn name(&self) -> &'static str {
        "check image name"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        _state: &mut BuildState,
        _line: &StepLine,
    ) -> Result<String, StepError> {
        let name = &ctx.spec.image_name;
        let out = ctx
            .aws
            .ec2
            .describe_images()
            .owners("self")
            .filters(filter("name", &[name]))
            .send()
            .await
            .map_err(StepError::aws("DescribeImages"))?;
        if let Some(existing) = out
            .images()
            .iter()
            .find(|i| i.name() == Some(name.as_str()))
        {
            return Err(StepError::unexpected(format!(
                "an image named {name:?} already exists ({}): a new build number or commit, or another image.name_template, gives a new name",
                existing.image_id().unwrap_or_default()
            )));
        }
        Ok(format!("{name} is free"))
    }
}
