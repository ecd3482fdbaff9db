//! Step 4: a temporary security group with no inbound rule (SSM needs only
//! outbound HTTPS, which a new group allows), or the existing groups
//! `builder.security_group_ids` / `builder.security_group_filter` name
//! (Packer's keys), which are then used as they are and never deleted.

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use roundrobin_aws::AwsErrorDetail;
use roundrobin_aws::tags::tag_specification;

use super::{BuildState, Ctx, Outcome, Step};
use crate::config::security_groups;
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

/// The existing groups `builder.security_group_ids` names (each must exist
/// and be in the builder's VPC) or `builder.security_group_filter` matches
/// in that VPC (all of them, as Packer takes them; none is an error).
async fn existing_groups(ctx: &Ctx, vpc: &str) -> Result<Vec<String>, StepError> {
    let builder = &ctx.spec.config.builder;
    let ec2 = &ctx.aws.ec2;
    if !builder.security_group_ids.is_empty() {
        let out = ec2
            .describe_security_groups()
            .set_group_ids(Some(builder.security_group_ids.clone()))
            .send()
            .await
            .map_err(|e| StepError::Aws {
                action: "DescribeSecurityGroups",
                detail: format!(
                    "builder.security_group_ids {:?}: {}",
                    builder.security_group_ids,
                    e.describe()
                ),
            })?;
        for id in &builder.security_group_ids {
            let group = out
                .security_groups()
                .iter()
                .find(|g| g.group_id() == Some(id.as_str()))
                .ok_or_else(|| {
                    StepError::unexpected(format!(
                        "builder.security_group_ids: {id} was not found in {}",
                        ctx.aws.region
                    ))
                })?;
            if group.vpc_id() != Some(vpc) {
                return Err(StepError::unexpected(format!(
                    "builder.security_group_ids: {id} is in {}, but the builder goes to {vpc} \
                     (an instance's groups must be in its VPC)",
                    group.vpc_id().unwrap_or("no VPC")
                )));
            }
        }
        return Ok(builder.security_group_ids.clone());
    }
    let mut request = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &[vpc]));
    for (name, value) in &builder.security_group_filter {
        request = request.filters(filter(name, &[value]));
    }
    let out = request
        .send()
        .await
        .map_err(StepError::aws("DescribeSecurityGroups"))?;
    let mut groups: Vec<String> = out
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    groups.sort();
    if groups.is_empty() {
        return Err(StepError::unexpected(format!(
            "builder.security_group_filter {} matches no security group in {vpc}",
            crate::config::source_filter::describe(&builder.security_group_filter)
        )));
    }
    if groups.len() > security_groups::MAX_GROUPS {
        return Err(StepError::unexpected(format!(
            "builder.security_group_filter matches {} groups in {vpc}: an instance takes at most {}",
            groups.len(),
            security_groups::MAX_GROUPS
        )));
    }
    Ok(groups)
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
        if security_groups::uses_existing(&ctx.spec.config) {
            let groups = existing_groups(ctx, &vpc).await?;
            let summary = format!("using {} in {vpc} (no temporary group)", groups.join(", "));
            state.existing_groups = groups;
            return Ok(summary);
        }
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
        // Groups the config names are the user's: never deleted.
        if security_groups::uses_existing(&ctx.spec.config) && state.security_group.is_none() {
            return Ok(None);
        }
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
