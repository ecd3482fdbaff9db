//! Reading a target group back: the group, its attributes, and its tags
//! (read with those of the load balancers it serves).

use aws_sdk_elasticloadbalancingv2::types::TargetGroup as AwsTargetGroup;

use super::{ALGORITHM, DEFAULT_ALGORITHM, DEREGISTRATION_DELAY, HealthCheck, TargetGroup};
use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;
use crate::resources::lb::read_tags_sharing;

async fn describe(aws: &Aws, arn: &str) -> Result<Option<AwsTargetGroup>, Diagnostics> {
    match aws
        .elb
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out.target_groups().first().cloned()),
        Err(e) if e.code() == Some("TargetGroupNotFound") => Ok(None),
        Err(e) => Err(aws_error(&format!("reading target group {arn}"), &e)),
    }
}

pub(super) async fn read_group(
    aws: &Aws,
    known: &TargetGroup,
) -> Result<Option<TargetGroup>, Diagnostics> {
    let arn = known.arn();
    let Some(group) = describe(aws, arn).await? else {
        return Ok(None);
    };
    let attributes = aws
        .elb
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading the attributes of target group {arn}"), &e))?;
    let attribute = |key: &str| {
        attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    let check = HealthCheck::from_aws(&group);
    // A configuration without the block keeps it absent while AWS holds the defaults.
    let health_check =
        (known.health_check.is_some() || check != HealthCheck::default()).then_some(check);
    let arn = group.target_group_arn().unwrap_or(arn).to_string();
    Ok(Some(TargetGroup {
        id: Some(arn.clone()),
        arn_suffix: Some(
            arn.rsplit_once(':')
                .map_or(arn.as_str(), |(_, suffix)| suffix)
                .to_string(),
        ),
        name: group.target_group_name().unwrap_or_default().to_string(),
        port: group.port().map(i64::from),
        protocol: group.protocol().map(|p| p.as_str().to_string()),
        vpc_id: group.vpc_id().map(str::to_string),
        load_balancing_algorithm_type: Some(
            attribute(ALGORITHM).unwrap_or_else(|| DEFAULT_ALGORITHM.into()),
        ),
        deregistration_delay: attribute(DEREGISTRATION_DELAY)
            .and_then(|v| v.parse().ok())
            .or(Some(300)),
        health_check,
        // The load balancers this group serves are refreshed next: their
        // tags come in the same call.
        tags: Some(read_tags_sharing(aws, &arn, group.load_balancer_arns()).await?),
        arn: Some(arn),
    }))
}
