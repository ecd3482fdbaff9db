//! The schema and model of `roundrobin_autoscaling_group`.

use std::time::Duration;

use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::framework::{
    Attribute, Block, Diagnostics, NestedBlock, Schema, Timeouts, Validator, null_as_default,
    timeouts,
};

pub use super::rollout_config::Rollout;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchTemplateRef {
    #[serde(deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupTag {
    #[serde(deserialize_with = "null_as_default")]
    pub key: String,
    #[serde(deserialize_with = "null_as_default")]
    pub value: String,
    pub propagate_at_launch: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceInfo {
    pub id: String,
    pub availability_zone: String,
    pub launch_template_version: String,
    pub lifecycle_state: String,
    pub health_status: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Group {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
    #[serde(deserialize_with = "null_as_default")]
    pub vpc_zone_identifier: Vec<String>,
    pub target_group_arns: Option<Vec<String>>,
    pub health_check_type: Option<String>,
    pub health_check_grace_period: Option<i64>,
    pub termination_policies: Option<Vec<String>>,
    pub launch_template: Option<LaunchTemplateRef>,
    #[serde(deserialize_with = "null_as_default")]
    pub tag: Vec<GroupTag>,
    pub rollout: Option<Rollout>,
    pub timeouts: Option<Timeouts>,
    pub instances: Option<Vec<InstanceInfo>>,
    pub last_rollout_status: Option<String>,
}

impl Group {
    pub fn rollout(&self) -> Rollout {
        self.rollout.clone().unwrap_or_default()
    }
    pub fn timeout(&self, op: &str) -> Duration {
        Timeouts::get(&self.timeouts, op, DEFAULT_TIMEOUT)
    }
    pub fn template(&self) -> LaunchTemplateRef {
        self.launch_template.clone().unwrap_or_default()
    }
    pub fn target_groups(&self) -> Vec<String> {
        self.target_group_arns.clone().unwrap_or_default()
    }
    pub fn desired(&self) -> i64 {
        self.desired_capacity.or(self.min_size).unwrap_or(0)
    }
}

pub fn schema() -> Schema {
    let launch_template = Block::new("The launch template and the explicit version the group runs. `$Latest` and `$Default` are refused: a new version must be a visible change so that it triggers a rollout.")
        .attribute(Attribute::required("id", Type::String).validate(Validator::Prefix("lt-")).describe("Launch template id."))
        .attribute(Attribute::required("version", Type::String).describe("Version number, e.g. `roundrobin_launch_template.app.latest_version`."));
    let tag = Block::new("A tag of the group.")
        .attribute(Attribute::required("key", Type::String))
        .attribute(Attribute::required("value", Type::String))
        .attribute(
            Attribute::defaulted("propagate_at_launch", Type::Bool, true)
                .describe("Copy the tag to instances the group launches."),
        );
    let rollout = super::rollout_config::block();
    let instance = Type::object([
        ("id", Type::String),
        ("availability_zone", Type::String),
        ("launch_template_version", Type::String),
        ("lifecycle_state", Type::String),
        ("health_status", Type::String),
    ]);
    Schema::new(
        Block::new("An autoscaling group across at least two availability zones, whose launch template changes roll out with a waited, health-gated instance refresh and automatic rollback.")
            .attribute(Attribute::computed("id", Type::String).stable().describe("Name of the group."))
            .attribute(Attribute::computed("arn", Type::String).stable().describe("ARN of the group."))
            .attribute(Attribute::required("name", Type::String).requires_replace().validate(Validator::LengthBetween(1, 255)).describe("Name of the group. Changing it creates a new group."))
            .attribute(Attribute::required("min_size", Type::Number).validate(Validator::IntBetween(0, 10000)))
            .attribute(Attribute::required("max_size", Type::Number).validate(Validator::IntBetween(0, 10000)))
            .attribute(Attribute::optional_computed("desired_capacity", Type::Number).stable().validate(Validator::IntBetween(0, 10000)).describe("Instances to run; `min_size` when left out."))
            .attribute(Attribute::required("vpc_zone_identifier", Type::list(Type::String)).describe("Subnets, in at least two availability zones."))
            .attribute(Attribute::optional("target_group_arns", Type::list(Type::String)).describe("Target groups the instances are registered in; their health gates rollouts."))
            .attribute(Attribute::defaulted("health_check_type", Type::String, "ELB").validate(Validator::OneOf(&["ELB", "EC2"])))
            .attribute(Attribute::defaulted("health_check_grace_period", Type::Number, 60_i64).validate(Validator::IntBetween(0, 7200)))
            .attribute(Attribute::defaulted("termination_policies", Type::list(Type::String), Value::list(["OldestLaunchTemplate".into(), "OldestInstance".into()])))
            .attribute(Attribute::computed("instances", Type::list(instance)).describe("Instances of the group with the launch template version each runs."))
            .attribute(Attribute::computed("last_rollout_status", Type::String).describe("Outcome of the last rollout this provider ran."))
            .block(NestedBlock::single("launch_template", launch_template).min_items(1).max_items(1))
            .block(NestedBlock::list("tag", tag))
            .block(NestedBlock::single("rollout", rollout))
            .block(timeouts::block(&["create", "update", "delete"])),
    )
}

/// Checks that need several attributes.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let num = |name| config.get_attr(name).and_then(Value::as_i64);
    if let (Some(min), Some(max)) = (num("min_size"), num("max_size"))
        && min > max
    {
        diags.push_attribute_error(
            Path::root().attr("min_size"),
            "Invalid sizes",
            format!("min_size ({min}) must not be greater than max_size ({max})."),
        );
    }
    if let (Some(desired), Some(min), Some(max)) =
        (num("desired_capacity"), num("min_size"), num("max_size"))
        && !(min..=max).contains(&desired)
    {
        diags.push_attribute_error(Path::root().attr("desired_capacity"), "Invalid desired capacity", format!("desired_capacity ({desired}) must be between min_size ({min}) and max_size ({max})."));
    }
    if let Some(subnets) = config
        .get_attr("vpc_zone_identifier")
        .filter(|v| v.is_known())
        .and_then(Value::as_elements)
        && subnets.len() < 2
    {
        diags.push_attribute_error(Path::root().attr("vpc_zone_identifier"), "Too few subnets", "vpc_zone_identifier needs at least two subnets in distinct availability zones, so that the group survives the loss of one zone.");
    }
    let version = config
        .get_attr("launch_template")
        .and_then(|lt| lt.get_attr("version"))
        .and_then(Value::as_str);
    if let Some(v) = version
        && v.parse::<u64>().is_err()
    {
        diags.push_attribute_error(
            Path::root().attr("launch_template").attr("version"),
            "Launch template version must be a number",
            format!("Got {v:?}. Use an explicit version such as roundrobin_launch_template.app.latest_version: with $Latest or $Default a new version is invisible to Terraform and never triggers a rollout."),
        );
    }
    super::rollout_config::validate(config, diags);
}
