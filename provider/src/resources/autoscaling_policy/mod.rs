//! `roundrobin_autoscaling_policy`: target tracking scaling of an
//! autoscaling group on its load balancer's requests per instance
//! (ALBRequestCountPerTarget) or its average CPU (ASGAverageCPUUtilization).
//! Auto Scaling makes and owns the CloudWatch alarms that drive it; they are
//! shown in `alarm_arns`. A policy is written with PutScalingPolicy, which
//! also changes one in place, and is known by its group and name.

mod label;
mod schema;
#[cfg(test)]
mod shaping;

use async_trait::async_trait;
use aws_sdk_autoscaling::types::{
    MetricType, PredefinedMetricSpecification, ScalingPolicy as AwsPolicy,
    TargetTrackingConfiguration,
};
use cty::{Path, Value};
use serde::{Deserialize, Serialize};

use crate::aws::ownership::{Existing, already_exists};
use crate::aws::{Aws, aws_error, read_after_write};
use crate::framework::{
    ApplyError, ApplyResult, Diagnostics, Plan, Resource, Schema, null_as_default,
};

pub const ALB_REQUESTS: &str = "ALBRequestCountPerTarget";
pub const CPU: &str = "ASGAverageCPUUtilization";
const TARGET_TRACKING: &str = "TargetTrackingScaling";

pub struct AutoscalingPolicyResource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScalingPolicy {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub autoscaling_group_name: String,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub target_value: Option<f64>,
    pub predefined_metric: Option<String>,
    pub target_group_arn: Option<String>,
    pub resource_label: Option<String>,
    pub disable_scale_in: Option<bool>,
    pub estimated_instance_warmup: Option<i64>,
    pub alarm_arns: Option<Vec<String>>,
}

impl ScalingPolicy {
    fn import_id(&self) -> String {
        format!("{}/{}", self.autoscaling_group_name, self.name)
    }
}

#[async_trait]
impl Resource for AutoscalingPolicyResource {
    type Model = ScalingPolicy;

    fn type_name(&self) -> &'static str {
        "roundrobin_autoscaling_policy"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        schema::validate(config, diags);
    }

    fn modify_plan(&self, prior: &Value, config: &Value, plan: &mut Plan) {
        schema::plan_resource_label(prior, config, plan);
    }

    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut crate::framework::Dice<'_>) {
        shaping::shape(config, dice);
    }

    async fn create(&self, aws: &Aws, planned: ScalingPolicy) -> ApplyResult<ScalingPolicy> {
        if describe(aws, &planned.autoscaling_group_name, &planned.name)
            .await?
            .is_some()
        {
            let id = planned.import_id();
            return Err(already_exists(&Existing {
                kind: "scaling policy",
                name: &planned.name,
                type_name: self.type_name(),
                import_id: &id,
                path: Path::root().attr("name"),
            })
            .into());
        }
        let written = put(aws, &planned).await?;
        let known = ScalingPolicy {
            id: Some(planned.import_id()),
            ..written
        };
        let what = format!("scaling policy {}", known.import_id());
        read_after_write(aws, &what, || read_policy(aws, &known))
            .await
            .map_err(|d| ApplyError::partial(known.clone(), d))
    }

    async fn read(
        &self,
        aws: &Aws,
        current: ScalingPolicy,
    ) -> Result<Option<ScalingPolicy>, Diagnostics> {
        read_policy(aws, &current).await
    }

    async fn update(
        &self,
        aws: &Aws,
        prior: ScalingPolicy,
        planned: ScalingPolicy,
    ) -> ApplyResult<ScalingPolicy> {
        let step = async {
            let written = put(aws, &planned).await?;
            read_policy(aws, &written).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Scaling policy vanished",
                    format!(
                        "{} disappeared while it was being updated.",
                        written.import_id()
                    ),
                )
            })
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    async fn delete(&self, aws: &Aws, state: ScalingPolicy) -> Result<(), Diagnostics> {
        if describe(aws, &state.autoscaling_group_name, &state.name)
            .await?
            .is_none()
        {
            return Ok(());
        }
        aws.autoscaling
            .delete_policy()
            .auto_scaling_group_name(&state.autoscaling_group_name)
            .policy_name(&state.name)
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                aws_error(
                    &format!("deleting the scaling policy {}", state.import_id()),
                    &e,
                )
            })
    }

    fn import(&self, id: &str) -> Result<ScalingPolicy, Diagnostics> {
        match id.split_once('/') {
            Some((group, name)) if !group.is_empty() && !name.is_empty() => Ok(ScalingPolicy {
                id: Some(id.to_string()),
                autoscaling_group_name: group.to_string(),
                name: name.to_string(),
                ..ScalingPolicy::default()
            }),
            _ => Err(Diagnostics::error(
                "Invalid import id",
                format!(
                    "Import a scaling policy as GROUP/POLICY, its autoscaling group's name and its own, like web/requests-per-instance; got {id:?}."
                ),
            )),
        }
    }
}

/// Writes the policy (PutScalingPolicy creates or replaces it); answers the
/// model with the resource label used and the policy's ARN.
async fn put(aws: &Aws, planned: &ScalingPolicy) -> Result<ScalingPolicy, Diagnostics> {
    let metric = planned.predefined_metric.as_deref().unwrap_or(CPU);
    let resource_label = match (&planned.target_group_arn, metric) {
        (Some(arn), ALB_REQUESTS) => Some(label::derive(aws, arn).await?),
        (None, ALB_REQUESTS) => planned.resource_label.clone(),
        _ => None,
    };
    let specification = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(metric))
        .set_resource_label(resource_label.clone())
        .build();
    let tracking = TargetTrackingConfiguration::builder()
        .predefined_metric_specification(specification)
        .set_target_value(planned.target_value)
        .disable_scale_in(planned.disable_scale_in.unwrap_or(false))
        .build();
    let written = aws
        .autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(&planned.autoscaling_group_name)
        .policy_name(&planned.name)
        .policy_type(TARGET_TRACKING)
        .target_tracking_configuration(tracking)
        .set_estimated_instance_warmup(
            planned
                .estimated_instance_warmup
                .and_then(|w| i32::try_from(w).ok()),
        )
        .send()
        .await
        .map_err(|e| {
            aws_error(
                &format!("writing the scaling policy {}", planned.import_id()),
                &e,
            )
        })?;
    Ok(ScalingPolicy {
        id: Some(planned.import_id()),
        arn: written.policy_arn().map(str::to_string),
        resource_label,
        alarm_arns: Some(
            written
                .alarms()
                .iter()
                .filter_map(|a| a.alarm_arn().map(str::to_string))
                .collect(),
        ),
        ..planned.clone()
    })
}

/// The policy of that name on that group, when there is one.
async fn describe(aws: &Aws, group: &str, name: &str) -> Result<Option<AwsPolicy>, Diagnostics> {
    let pages = aws
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(group)
        .policy_names(name)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| aws_error(&format!("reading the scaling policy {group}/{name}"), &e))?;
    Ok(pages
        .iter()
        .flat_map(|page| page.scaling_policies())
        .find(|p| p.policy_name() == Some(name) && p.auto_scaling_group_name() == Some(group))
        .cloned())
}

async fn read_policy(
    aws: &Aws,
    known: &ScalingPolicy,
) -> Result<Option<ScalingPolicy>, Diagnostics> {
    let group = &known.autoscaling_group_name;
    let name = &known.name;
    let Some(policy) = describe(aws, group, name).await? else {
        return Ok(None);
    };
    let refuse = |what: String| {
        Diagnostics::error(
            "Scaling policy not supported",
            format!(
                "The scaling policy {group}/{name} {what}; roundrobin_autoscaling_policy manages target tracking on {ALB_REQUESTS} or {CPU} only, and leaves this one alone."
            ),
        )
    };
    if policy.policy_type() != Some(TARGET_TRACKING) {
        return Err(refuse(format!(
            "is of type {}",
            policy.policy_type().unwrap_or("unknown")
        )));
    }
    let tracking = policy.target_tracking_configuration();
    let Some(predefined) = tracking.and_then(|t| t.predefined_metric_specification()) else {
        return Err(refuse("tracks a customized metric".into()));
    };
    let metric = predefined
        .predefined_metric_type()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    if metric != ALB_REQUESTS && metric != CPU {
        return Err(refuse(format!("tracks {metric}")));
    }
    let resource_label = predefined.resource_label().map(str::to_string);
    // A target group that is no longer the one in the label shows as a
    // change of target_group_arn.
    let target_group_arn = known.target_group_arn.clone().filter(|arn| {
        resource_label.as_deref().and_then(label::target_group_part)
            == label::target_group_suffix(arn)
    });
    Ok(Some(ScalingPolicy {
        id: Some(format!("{group}/{name}")),
        arn: policy.policy_arn().map(str::to_string),
        autoscaling_group_name: group.clone(),
        name: name.clone(),
        target_value: tracking.and_then(|t| t.target_value()),
        predefined_metric: Some(metric),
        target_group_arn,
        resource_label,
        disable_scale_in: Some(tracking.and_then(|t| t.disable_scale_in()).unwrap_or(false)),
        estimated_instance_warmup: policy.estimated_instance_warmup().map(i64::from),
        alarm_arns: Some(
            policy
                .alarms()
                .iter()
                .filter_map(|a| a.alarm_arn().map(str::to_string))
                .collect(),
        ),
    }))
}
