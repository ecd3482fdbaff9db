//! `roundrobin_launch_template`: a launch template whose launch data lives
//! in versions. Changing the launch data creates a new version in place and
//! (by default) makes it the default; only a new name replaces the template.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    RequestLaunchTemplateData, ResourceType,
};
use cty::{Type, Value};
use serde::{Deserialize, Serialize};

use crate::aws::ownership::{Existing, already_exists, is_duplicate};
use crate::aws::tags::{self, Tags};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::framework::{
    ApplyError, ApplyResult, Attribute, Block, Diagnostics, NestedBlock, Plan, Resource, Schema,
    Validator, null_as_default,
};
use crate::resources::existing;

mod read;

use read::read_template;

const TYPE_NAME: &str = "roundrobin_launch_template";

pub struct LaunchTemplateResource;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetadataOptions {
    pub http_tokens: Option<String>,
    pub http_endpoint: Option<String>,
    pub http_put_response_hop_limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LaunchTemplate {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub vpc_security_group_ids: Option<Vec<String>>,
    pub iam_instance_profile: Option<String>,
    pub user_data: Option<String>,
    pub metadata_options: Option<MetadataOptions>,
    pub tags: Option<Tags>,
    pub update_default_version: Option<bool>,
    pub latest_version: Option<i64>,
    pub default_version: Option<i64>,
}

/// Attributes that make up a version's launch data.
const LAUNCH_DATA: &[&str] = &[
    "image_id",
    "instance_type",
    "vpc_security_group_ids",
    "iam_instance_profile",
    "user_data",
    "metadata_options",
];

impl LaunchTemplate {
    fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }

    fn same_launch_data(&self, other: &LaunchTemplate) -> bool {
        self.image_id == other.image_id
            && self.instance_type == other.instance_type
            && self.vpc_security_group_ids == other.vpc_security_group_ids
            && self.iam_instance_profile == other.iam_instance_profile
            && self.user_data == other.user_data
            && self.metadata_options == other.metadata_options
    }

    /// The launch data of a version. Without a metadata_options block the
    /// template still requires IMDSv2.
    fn launch_data(&self) -> RequestLaunchTemplateData {
        let md = self.metadata_options.clone().unwrap_or_default();
        let metadata = LaunchTemplateInstanceMetadataOptionsRequest::builder()
            .http_tokens(LaunchTemplateHttpTokensState::from(
                md.http_tokens.as_deref().unwrap_or("required"),
            ))
            .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::from(
                md.http_endpoint.as_deref().unwrap_or("enabled"),
            ))
            .set_http_put_response_hop_limit(
                md.http_put_response_hop_limit
                    .and_then(|n| i32::try_from(n).ok()),
            )
            .build();
        RequestLaunchTemplateData::builder()
            .set_image_id(self.image_id.clone())
            .set_instance_type(self.instance_type.as_deref().map(Into::into))
            .set_security_group_ids(self.vpc_security_group_ids.clone())
            .set_iam_instance_profile(self.iam_instance_profile.as_ref().map(|name| {
                LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                    .name(name)
                    .build()
            }))
            .set_user_data(self.user_data.clone())
            .metadata_options(metadata)
            .build()
    }
}

#[async_trait]
impl Resource for LaunchTemplateResource {
    type Model = LaunchTemplate;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let metadata = Block::new("Instance metadata service settings. IMDSv2 (`http_tokens = \"required\"`) is the default, with or without this block.")
            .attribute(Attribute::defaulted("http_tokens", Type::String, "required").validate(Validator::OneOf(&["required", "optional"])).describe("`required` (IMDSv2 only) or `optional`."))
            .attribute(Attribute::defaulted("http_endpoint", Type::String, "enabled").validate(Validator::OneOf(&["enabled", "disabled"])).describe("`enabled` or `disabled`."))
            .attribute(Attribute::optional("http_put_response_hop_limit", Type::Number).validate(Validator::IntBetween(1, 64)).describe("Hop limit for metadata PUT responses (1–64)."));
        Schema::new(
            Block::new("An EC2 launch template. Each change of launch data is a new version; the default version follows unless `update_default_version = false`.")
                .attribute(Attribute::computed("id", Type::String).stable().describe("Launch template id."))
                .attribute(Attribute::computed("arn", Type::String).stable().describe("Launch template ARN."))
                .attribute(Attribute::required("name", Type::String).requires_replace().validate(Validator::LengthBetween(3, 128)).describe("Name of the template. Changing it creates a new template."))
                .attribute(Attribute::optional("image_id", Type::String).validate(Validator::Prefix("ami-")).describe("AMI to launch."))
                .attribute(Attribute::optional("instance_type", Type::String).validate(Validator::LengthBetween(1, 64)).describe("Instance type, such as `t3.micro`."))
                .attribute(Attribute::optional("vpc_security_group_ids", Type::list(Type::String)).describe("Security groups of the instances."))
                .attribute(Attribute::optional("iam_instance_profile", Type::String).describe("Name of the instance profile (for SSM, a profile with AmazonSSMManagedInstanceCore)."))
                .attribute(Attribute::optional("user_data", Type::String).validate(Validator::Base64).describe("Base64-encoded user data."))
                .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags of the template."))
                .attribute(Attribute::defaulted("update_default_version", Type::Bool, true).describe("Make each new version the default version."))
                .attribute(Attribute::computed("latest_version", Type::Number).describe("Number of the newest version."))
                .attribute(Attribute::computed("default_version", Type::Number).describe("Number of the default version."))
                .block(NestedBlock::single("metadata_options", metadata)),
        )
    }

    /// Tag-only changes make no version: keep the version numbers known.
    fn modify_plan(&self, prior: &Value, _config: &Value, plan: &mut Plan) {
        if prior.is_null() || !plan.requires_replace.is_empty() {
            return;
        }
        let unchanged = |name: &str| {
            let before = prior.get_attr(name).unwrap_or(&Value::Null);
            plan.planned
                .get_attr(name)
                .is_some_and(|after| after.semantic_eq(before))
        };
        let new_version = !LAUNCH_DATA.iter().all(|n| unchanged(n));
        let default_moves = new_version || !unchanged("update_default_version");
        if let Value::Object(fields) = &mut plan.planned {
            for (name, keep) in [
                ("latest_version", !new_version),
                ("default_version", !default_moves),
            ] {
                if keep && let Some(v) = prior.get_attr(name) {
                    fields.insert(name.to_string(), v.clone());
                }
            }
        }
    }

    async fn create(&self, aws: &Aws, planned: LaunchTemplate) -> ApplyResult<LaunchTemplate> {
        let taken = |id: &str| {
            let what = Existing::named("launch template", TYPE_NAME, &planned.name, id);
            already_exists(&what)
        };
        if let Some(id) = existing::launch_template(aws, &planned.name).await? {
            return Err(taken(&id).into());
        }
        let tags = planned.tags.clone().unwrap_or_default();
        let out = aws
            .ec2
            .create_launch_template()
            .launch_template_name(&planned.name)
            .version_description("created by terraform")
            .launch_template_data(planned.launch_data())
            .set_tag_specifications(
                tags::tag_specification(ResourceType::LaunchTemplate, &tags).map(|t| vec![t]),
            )
            .send()
            .await;
        // The name is taken atomically: a template made since the look-up
        // fails the create, which then names it.
        let out = match out {
            Ok(out) => out,
            Err(e) if is_duplicate(e.code()) => {
                let id = existing::launch_template(aws, &planned.name).await?;
                return Err(taken(id.as_deref().unwrap_or("ID")).into());
            }
            Err(e) => {
                let what = format!("creating launch template {:?}", planned.name);
                return Err(aws_error(&what, &e).into());
            }
        };
        let id = out
            .launch_template()
            .and_then(|t| t.launch_template_id())
            .unwrap_or_default()
            .to_string();
        let made = LaunchTemplate {
            id: Some(id),
            ..planned.clone()
        };
        match read_after_write(aws, "the launch template", || {
            read_template(aws, &made, None)
        })
        .await
        {
            Ok(state) => Ok(state),
            Err(d) => Err(ApplyError::partial(made, d)),
        }
    }

    async fn read(
        &self,
        aws: &Aws,
        current: LaunchTemplate,
    ) -> Result<Option<LaunchTemplate>, Diagnostics> {
        read_template(aws, &current, Some(&current)).await
    }

    async fn update(
        &self,
        aws: &Aws,
        prior: LaunchTemplate,
        planned: LaunchTemplate,
    ) -> ApplyResult<LaunchTemplate> {
        let id = prior.id().to_string();
        let step = async {
            let mut version = prior.latest_version;
            if !prior.same_launch_data(&planned) {
                let out = aws
                    .ec2
                    .create_launch_template_version()
                    .launch_template_id(&id)
                    .launch_template_data(planned.launch_data())
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("creating a new version of {id}"), &e))?;
                version = out
                    .launch_template_version()
                    .and_then(|v| v.version_number());
                tracing::info!(template = %id, ?version, "created launch template version");
            }
            let wants_default = planned.update_default_version.unwrap_or(true);
            if wants_default && version.is_some() && version != prior.default_version {
                let number = version.map(|v| v.to_string()).unwrap_or_default();
                aws.ec2
                    .modify_launch_template()
                    .launch_template_id(&id)
                    .default_version(number)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(
                            &format!("making version {version:?} the default of {id}"),
                            &e,
                        )
                    })?;
            }
            tags::update_ec2(
                &aws.ec2,
                &id,
                &prior.tags.clone().unwrap_or_default(),
                &planned.tags.clone().unwrap_or_default(),
            )
            .await
            .map_err(crate::aws::tag_error)?;
            let known = LaunchTemplate {
                id: Some(id.clone()),
                ..planned.clone()
            };
            read_template(aws, &known, None).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Launch template vanished",
                    format!("{id} disappeared while it was being updated."),
                )
            })
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    async fn delete(&self, aws: &Aws, state: LaunchTemplate) -> Result<(), Diagnostics> {
        match aws
            .ec2
            .delete_launch_template()
            .launch_template_id(state.id())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(e.code()) => Ok(()),
            Err(e) => Err(aws_error(
                &format!("deleting launch template {}", state.id()),
                &e,
            )),
        }
    }

    fn import(&self, id: &str) -> Result<LaunchTemplate, Diagnostics> {
        if !id.starts_with("lt-") {
            return Err(Diagnostics::error(
                "Invalid import id",
                format!(
                    "Import a launch template by its id, like lt-0123456789abcdef0; got {id:?}."
                ),
            ));
        }
        Ok(LaunchTemplate {
            id: Some(id.to_string()),
            ..LaunchTemplate::default()
        })
    }
}

fn is_not_found(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "InvalidLaunchTemplateId.NotFound"
                | "InvalidLaunchTemplateName.NotFoundException"
                | "InvalidLaunchTemplateId.Malformed"
        )
    )
}
