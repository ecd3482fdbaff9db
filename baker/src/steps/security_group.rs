//! Step 4: a temporary security group with no inbound rule (SSM needs only
//! outbound HTTPS, which a new group allows).

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::tags::tag_specification;

use super::{BuildState, Ctx, Outcome, Step};
use crate::ec2::{at_least_once, backoff, filter, wait_error};
use crate::error::StepError;
use crate::progress::StepLine;

pub struct SecurityGroup;

/// The VPC of the configured subnet, or the default VPC.
async fn vpc_id(ctx: &Ctx) -> Result<String, StepError> {
    let ec2 = &ctx.aws.ec2;
    let subnet = &ctx.spec.config.builder.subnet_id;
    if !subnet.is_empty() {
        let out = ec2
            .describe_subnets()
            .subnet_ids(subnet)
            .send()
            .await
            .map_err(|e| StepError::Aws {
                action: "DescribeSubnets",
                detail: format!("builder.subnet_id {subnet:?}: {}", e.describe()),
            })?;
        return out
            .subnets()
            .first()
            .and_then(|s| s.vpc_id())
            .map(str::to_string)
            .ok_or_else(|| {
                StepError::unexpected(format!("builder.subnet_id {subnet:?} was not found"))
            });
    }
    let out = ec2
        .describe_vpcs()
        .filters(filter("is-default", &["true"]))
        .send()
        .await
        .map_err(StepError::aws("DescribeVpcs"))?;
    out.vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_string)
        .ok_or_else(|| {
            StepError::unexpected(format!(
                "{} has no default VPC: set builder.subnet_id to a subnet with outbound HTTPS",
                ctx.aws.region
            ))
        })
}

#[async_trait]
impl Step for SecurityGroup {
    fn name(&self) -> &'static str {
        "security group"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _line: &StepLine,
    ) -> Result<String, StepError> {
        let vpc = match state.vpc_id.clone() {
            // Chosen with the subnet (builder.subnet_filter / vpc_filter).
            Some(vpc) => vpc,
            None => vpc_id(ctx).await?,
        };
        state.vpc_id = Some(vpc.clone());
        let out = ctx
            .aws
            .ec2
            .create_security_group()
            .group_name(ctx.spec.temp_name())
            .description("Temporary group of a baker builder: no inbound rules")
            .vpc_id(&vpc)
            .set_tag_specifications(
                tag_specification(ResourceType::SecurityGroup, &ctx.spec.builder_tags())
                    .map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(StepError::aws("CreateSecurityGroup"))?;
        let id = out
            .group_id()
            .ok_or_else(|| StepError::unexpected("CreateSecurityGroup returned no group id"))?
            .to_string();
        state.security_group = Some(id.clone());
        Ok(format!("{id} in {vpc}, no inbound rules"))
    }

    async fn cleanup(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        let ec2 = &ctx.aws.ec2;
        let ids = match &state.security_group {
            Some(id) => vec![id.clone()],
            // A CreateSecurityGroup whose answer never came: find it by name.
            None => {
                let out = ec2
                    .describe_security_groups()
                    .filters(filter("group-name", &[&ctx.spec.temp_name()]))
                    .send()
                    .await
                    .map_err(StepError::aws("DescribeSecurityGroups"))?;
                out.security_groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect()
            }
        };
        if ids.is_empty() {
            return Ok(None);
        }
        let wait = backoff(
            &ctx.spec.config.wait,
            ctx.spec.config.wait.instance_terminated,
        );
        let mut deleted = Vec::new();
        let mut left = Vec::new();
        let mut reason = None;
        for id in &ids {
            // The builder's network interface may linger a little after it
            // terminated: DependencyViolation means "not yet". The delete is
            // tried at least once, even after a second signal.
            let result = at_least_once(wait, ctx.cleanup_stop(), || async {
                match ec2.delete_security_group().group_id(id).send().await {
                    Ok(_) => Ok(Some(())),
                    Err(e) if e.code() == Some("InvalidGroup.NotFound") => Ok(Some(())),
                    Err(e) if e.code() == Some("DependencyViolation") => Ok(None),
                    Err(e) => Err(StepError::aws("DeleteSecurityGroup")(e)),
                }
            })
            .await;
            match result {
                Ok(()) => deleted.push(id.clone()),
                Err(e) => {
                    left.push(format!("security group {id}"));
                    reason.get_or_insert(wait_error(
                        e,
                        format!("security group {id} to become deletable"),
                        None,
                    ));
                }
            }
        }
        state.security_group = None;
        if let Some(reason) = reason {
            if !deleted.is_empty() {
                ctx.progress.info(&format!(
                    "cleanup ({}): deleted security group {}",
                    self.name(),
                    deleted.join(", ")
                ));
            }
            return Err(StepError::Left {
                left,
                reason: Box::new(reason),
            });
        }
        Ok(Some(format!(
            "deleted security group {}",
            deleted.join(", ")
        )))
    }
}
