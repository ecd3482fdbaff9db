//! Looking up an object by the name that is unique in the account, before
//! creating one of that name: each answers the id the resource's import
//! takes, or `None` when there is no such object (see
//! [`crate::aws::ownership`]).

use aws_sdk_ec2::types::Filter;

use crate::aws::ownership::lookup_failed;
use crate::aws::{Aws, AwsErrorDetail};
use crate::framework::Diagnostics;

/// The ARN of the load balancer of that name.
pub async fn load_balancer(aws: &Aws, name: &str) -> Result<Option<String>, Diagnostics> {
    match aws.elb.describe_load_balancers().names(name).send().await {
        Ok(out) => Ok(out
            .load_balancers()
            .iter()
            .find(|lb| lb.load_balancer_name() == Some(name))
            .and_then(|lb| lb.load_balancer_arn())
            .map(str::to_string)),
        Err(e) if e.code() == Some("LoadBalancerNotFound") => Ok(None),
        Err(e) => Err(lookup_failed(&format!("load balancer {name:?}"), &e)),
    }
}

/// The ARN of the target group of that name.
pub async fn target_group(aws: &Aws, name: &str) -> Result<Option<String>, Diagnostics> {
    match aws.elb.describe_target_groups().names(name).send().await {
        Ok(out) => Ok(out
            .target_groups()
            .iter()
            .find(|tg| tg.target_group_name() == Some(name))
            .and_then(|tg| tg.target_group_arn())
            .map(str::to_string)),
        Err(e) if e.code() == Some("TargetGroupNotFound") => Ok(None),
        Err(e) => Err(lookup_failed(&format!("target group {name:?}"), &e)),
    }
}

/// The ARN of the listener on that port of the load balancer. A load
/// balancer that is not there has no listener (its create fails on its own).
pub async fn listener(
    aws: &Aws,
    load_balancer_arn: &str,
    port: i32,
) -> Result<Option<String>, Diagnostics> {
    let listed = aws
        .elb
        .describe_listeners()
        .load_balancer_arn(load_balancer_arn)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match listed {
        Ok(listeners) => Ok(listeners
            .iter()
            .find(|l| l.port() == Some(port))
            .and_then(|l| l.listener_arn())
            .map(str::to_string)),
        Err(e) if e.code() == Some("LoadBalancerNotFound") => Ok(None),
        Err(e) => Err(lookup_failed(
            &format!("listener on port {port} of {load_balancer_arn}"),
            &e,
        )),
    }
}

/// The id of the launch template of that name.
pub async fn launch_template(aws: &Aws, name: &str) -> Result<Option<String>, Diagnostics> {
    match aws
        .ec2
        .describe_launch_templates()
        .launch_template_names(name)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .launch_templates()
            .iter()
            .find(|t| t.launch_template_name() == Some(name))
            .and_then(|t| t.launch_template_id())
            .map(str::to_string)),
        Err(e)
            if matches!(
                e.code(),
                Some(
                    "InvalidLaunchTemplateName.NotFoundException"
                        | "InvalidLaunchTemplateId.NotFound"
                )
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(lookup_failed(&format!("launch template {name:?}"), &e)),
    }
}

/// The name of the autoscaling group of that name, when there is one.
pub async fn autoscaling_group(aws: &Aws, name: &str) -> Result<Option<String>, Diagnostics> {
    match aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .and_then(|g| g.auto_scaling_group_name())
            .map(str::to_string)),
        Err(e) => Err(lookup_failed(&format!("autoscaling group {name:?}"), &e)),
    }
}

/// The id of the security group of that name in the VPC.
pub async fn security_group(
    aws: &Aws,
    vpc_id: &str,
    name: &str,
) -> Result<Option<String>, Diagnostics> {
    let filter = |key: &str, value: &str| Filter::builder().name(key).values(value).build();
    match aws
        .ec2
        .describe_security_groups()
        .filters(filter("group-name", name))
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
    {
        Ok(out) => Ok(out
            .security_groups()
            .iter()
            .find(|g| g.group_name() == Some(name) && g.vpc_id() == Some(vpc_id))
            .and_then(|g| g.group_id())
            .map(str::to_string)),
        Err(e) => Err(lookup_failed(
            &format!("security group {name:?} in {vpc_id}"),
            &e,
        )),
    }
}
