//! `roundrobin_lb_target_group`: where a listener sends requests, spread
//! round-robin by default, with a health check that gates rollouts.

mod health_check;
mod read;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetGroupAttribute, TargetTypeEnum};
use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use super::lb::{to_elb, update_tags};
use crate::aws::consistency::{Made, write_to};
use crate::aws::ownership::{
    Existing, already_exists, create_token, drop_elb_token, elb_made_by_us, is_duplicate,
    not_made_by_us, token_tag,
};
use crate::aws::tags::Tags;
use crate::aws::wait::{self, Backoff, WaitError};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::framework::{
    ApplyError, ApplyResult, Attribute, Block, Diagnostics, NestedBlock, Resource, Schema,
    Validator, null_as_default,
};
use crate::resources::existing;
pub use health_check::HealthCheck;
use health_check::int;
use read::read_group;

const ALGORITHM: &str = "load_balancing.algorithm.type";
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";
const ALGORITHMS: &[&str] = &[
    "round_robin",
    "least_outstanding_requests",
    "weighted_random",
];
const DEFAULT_ALGORITHM: &str = "round_robin";
const DEFAULT_DELAY: i64 = 30;
/// A target group stays "in use" for a little while after its listener goes.
const DELETE_TIMEOUT: Duration = Duration::from_secs(120);

pub struct TargetGroupResource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TargetGroup {
    pub id: Option<String>,
    pub arn: Option<String>,
    pub arn_suffix: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub vpc_id: Option<String>,
    pub load_balancing_algorithm_type: Option<String>,
    pub deregistration_delay: Option<i64>,
    pub health_check: Option<HealthCheck>,
    pub tags: Option<Tags>,
}

impl TargetGroup {
    fn arn(&self) -> &str {
        self.arn
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or_default()
    }

    fn attributes(&self) -> Vec<TargetGroupAttribute> {
        let algorithm = self
            .load_balancing_algorithm_type
            .clone()
            .unwrap_or_else(|| DEFAULT_ALGORITHM.into());
        let delay = self
            .deregistration_delay
            .unwrap_or(DEFAULT_DELAY)
            .to_string();
        vec![
            TargetGroupAttribute::builder()
                .key(ALGORITHM)
                .value(algorithm)
                .build(),
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(delay)
                .build(),
        ]
    }
}

#[async_trait]
impl Resource for TargetGroupResource {
    type Model = TargetGroup;

    fn type_name(&self) -> &'static str {
        "roundrobin_lb_target_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("A target group of instances behind an application load balancer.")
                .attribute(Attribute::computed("id", Type::String).stable().describe("ARN of the target group."))
                .attribute(Attribute::computed("arn", Type::String).stable().describe("ARN of the target group."))
                .attribute(Attribute::computed("arn_suffix", Type::String).stable().describe("The part of the ARN CloudWatch metrics use (`targetgroup/NAME/ID`)."))
                .attribute(Attribute::required("name", Type::String).requires_replace().validate(Validator::LengthBetween(1, 32)).describe("Name of the target group: letters, digits and hyphens, at most 32. Changing it creates a new target group."))
                .attribute(Attribute::required("port", Type::Number).requires_replace().validate(Validator::IntBetween(1, 65535)).describe("Port the targets receive traffic on. Changing it creates a new target group."))
                .attribute(Attribute::defaulted("protocol", Type::String, "HTTP").requires_replace().validate(Validator::OneOf(&["HTTP", "HTTPS"])).describe("`HTTP` or `HTTPS`. Changing it creates a new target group."))
                .attribute(Attribute::required("vpc_id", Type::String).requires_replace().validate(Validator::Prefix("vpc-")).describe("VPC of the targets. Changing it creates a new target group."))
                .attribute(Attribute::defaulted("load_balancing_algorithm_type", Type::String, DEFAULT_ALGORITHM).validate(Validator::OneOf(ALGORITHMS)).describe("`round_robin`, `least_outstanding_requests` or `weighted_random`."))
                .attribute(Attribute::defaulted("deregistration_delay", Type::Number, DEFAULT_DELAY).validate(Validator::IntBetween(0, 3600)).describe("Seconds a deregistering target keeps serving requests in flight (AWS's default is 300; 30 keeps rollouts quick)."))
                .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags of the target group."))
                .block(NestedBlock::single("health_check", health_check::block())),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        health_check::validate(config, diags);
    }

    async fn create(&self, aws: &Aws, planned: TargetGroup) -> ApplyResult<TargetGroup> {
        let check = planned.health_check.clone().unwrap_or_default();
        if let Some(arn) = existing::target_group(aws, &planned.name).await? {
            return Err(already_exists(&taken(&planned.name, &arn)).into());
        }
        let token = create_token();
        let mut tags = to_elb(&planned.tags.clone().unwrap_or_default());
        tags.push(token_tag(&token));
        let out = aws
            .elb
            .create_target_group()
            .name(&planned.name)
            .set_port(int(planned.port))
            .protocol(ProtocolEnum::from(
                planned.protocol.as_deref().unwrap_or("HTTP"),
            ))
            .set_vpc_id(planned.vpc_id.clone())
            .target_type(TargetTypeEnum::Instance)
            .health_check_enabled(true)
            .set_health_check_path(check.path.clone())
            .set_health_check_interval_seconds(int(check.interval))
            .set_health_check_timeout_seconds(int(check.timeout))
            .set_healthy_threshold_count(int(check.healthy_threshold))
            .set_unhealthy_threshold_count(int(check.unhealthy_threshold))
            .set_matcher(check.matcher())
            .set_tags(Some(tags))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if is_duplicate(e.code()) => {
                let arn = existing::target_group(aws, &planned.name).await?;
                let arn = arn.as_deref().unwrap_or("ARN");
                return Err(not_made_by_us(&taken(&planned.name, arn)).into());
            }
            Err(e) => {
                let what = format!("creating target group {:?}", planned.name);
                return Err(aws_error(&what, &e).into());
            }
        };
        let arn = out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .unwrap_or_default()
            .to_string();
        // ELBv2 answers an existing target group of the same name and
        // settings as if it were new: only one with our token is ours.
        if !elb_made_by_us(aws, &arn, &token).await? {
            return Err(not_made_by_us(&taken(&planned.name, &arn)).into());
        }
        let made = TargetGroup {
            id: Some(arn.clone()),
            arn: Some(arn.clone()),
            ..planned.clone()
        };
        let rest = async {
            modify_attributes(aws, &made, Made::ThisApply).await?;
            drop_elb_token(aws, &arn).await?;
            read_after_write(aws, &format!("target group {arn}"), || {
                read_group(aws, &made)
            })
            .await
        };
        rest.await.map_err(|d| ApplyError::partial(made.clone(), d))
    }

    async fn read(
        &self,
        aws: &Aws,
        current: TargetGroup,
    ) -> Result<Option<TargetGroup>, Diagnostics> {
        read_group(aws, &current).await
    }

    async fn update(
        &self,
        aws: &Aws,
        prior: TargetGroup,
        planned: TargetGroup,
    ) -> ApplyResult<TargetGroup> {
        let arn = prior.arn().to_string();
        let known = TargetGroup {
            id: Some(arn.clone()),
            arn: Some(arn.clone()),
            ..planned.clone()
        };
        let step = async {
            let check = planned.health_check.clone().unwrap_or_default();
            if prior.health_check.clone().unwrap_or_default() != check {
                check.apply(aws, &arn).await?;
            }
            if prior.load_balancing_algorithm_type != planned.load_balancing_algorithm_type
                || prior.deregistration_delay != planned.deregistration_delay
            {
                modify_attributes(aws, &known, Made::Earlier).await?;
            }
            update_tags(
                aws,
                &arn,
                &prior.tags.clone().unwrap_or_default(),
                &planned.tags.clone().unwrap_or_default(),
            )
            .await?;
            read_group(aws, &known).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Target group vanished",
                    format!("{arn} disappeared while it was being updated."),
                )
            })
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    async fn delete(&self, aws: &Aws, state: TargetGroup) -> Result<(), Diagnostics> {
        let arn = state.arn().to_string();
        let deleted = wait::until(Backoff::new(DELETE_TIMEOUT), &aws.stop, || async {
            match aws
                .elb
                .delete_target_group()
                .target_group_arn(&arn)
                .send()
                .await
            {
                Ok(_) => Ok(Some(())),
                Err(e) if e.code() == Some("TargetGroupNotFound") => Ok(Some(())),
                Err(e) if e.code() == Some("ResourceInUse") => Ok(None),
                Err(e) => Err(aws_error(&format!("deleting target group {arn}"), &e)),
            }
        })
        .await;
        deleted.map_err(|e| match e {
            WaitError::Failed(d) => d,
            WaitError::TimedOut(_) => Diagnostics::error(
                "Target group still in use",
                format!("{arn} is still used by a listener or rule; remove those first."),
            ),
            WaitError::Stopped => {
                Diagnostics::error("Interrupted", format!("Stopped while deleting {arn}."))
            }
        })
    }

    fn import(&self, id: &str) -> Result<TargetGroup, Diagnostics> {
        if !(id.starts_with("arn:") && id.contains(":targetgroup/")) {
            return Err(Diagnostics::error(
                "Invalid import id",
                format!(
                    "Import a target group by its ARN, like arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/73e2d6bc24d8a067; got {id:?}."
                ),
            ));
        }
        Ok(TargetGroup {
            id: Some(id.to_string()),
            arn: Some(id.to_string()),
            ..TargetGroup::default()
        })
    }
}

/// A target group of the name exists already; its import takes its ARN.
fn taken<'a>(name: &'a str, arn: &'a str) -> Existing<'a> {
    Existing {
        kind: "target group",
        name,
        type_name: "roundrobin_lb_target_group",
        import_id: arn,
        path: Path::root().attr("name"),
    }
}

/// Sets the group's attributes; `made` says whether this apply just created
/// it (AWS may not know it for a few seconds yet).
async fn modify_attributes(aws: &Aws, group: &TargetGroup, made: Made) -> Result<(), Diagnostics> {
    let arn = group.arn();
    let call = aws
        .elb
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(group.attributes()));
    let what = format!("setting the attributes of target group {arn}");
    write_to(aws, made, &what, || call.clone().send())
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cty::Path;

    #[test]
    fn a_timeout_not_below_the_interval_is_refused_with_its_path() {
        let check = Value::object([
            ("timeout".to_string(), Value::from(30_i64)),
            ("interval".to_string(), Value::Null),
        ]);
        let config = Value::object([("health_check".to_string(), check)]);
        let mut diags = Diagnostics::new();
        TargetGroupResource.validate(&config, &mut diags);
        assert_eq!(diags.0.len(), 1);
        assert_eq!(
            diags.0[0].path,
            Some(Path::root().attr("health_check").attr("timeout"))
        );
    }

    #[test]
    fn attributes_carry_the_defaults() {
        let keys: Vec<_> = TargetGroup::default()
            .attributes()
            .iter()
            .map(|a| format!("{:?}={:?}", a.key(), a.value()))
            .collect();
        assert!(keys.contains(
            &"Some(\"load_balancing.algorithm.type\")=Some(\"round_robin\")".to_string()
        ));
        assert!(
            keys.contains(
                &"Some(\"deregistration_delay.timeout_seconds\")=Some(\"30\")".to_string()
            )
        );
    }
}
