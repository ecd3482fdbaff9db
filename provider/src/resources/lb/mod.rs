//! `roundrobin_lb`: an application load balancer in at least two
//! Availability Zones. Create waits until AWS reports it `active`.

mod elb;
mod ops;
#[cfg(test)]
mod shaping;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerSchemeEnum, LoadBalancerTypeEnum};
use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::aws::consistency::Made;
use crate::aws::ownership::{
    Existing, already_exists, create_token, drop_elb_token, elb_made_by_us, is_duplicate,
    not_made_by_us, token_tag,
};
use crate::aws::tags::Tags;
use crate::aws::wait::{self, Backoff};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::framework::{
    ApplyError, ApplyResult, Attribute, Block, Diagnostics, Resource, Schema, Timeouts, Validator,
    null_as_default, timeouts,
};
use crate::resources::existing;
pub(crate) use elb::{arn_suffix, read_tags, read_tags_sharing, to_elb, update_tags};
use ops::{
    check_distinct_zones, describe, same_set, set_idle_timeout, wait_error, wait_until_active,
};

const IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";
const DEFAULT_IDLE_TIMEOUT: i64 = 60;
const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

pub struct LoadBalancerResource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub id: Option<String>,
    pub arn: Option<String>,
    pub arn_suffix: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub internal: Option<bool>,
    pub subnets: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    pub idle_timeout: Option<i64>,
    pub tags: Option<Tags>,
    pub dns_name: Option<String>,
    pub zone_id: Option<String>,
    pub vpc_id: Option<String>,
    pub timeouts: Option<Timeouts>,
}

impl LoadBalancer {
    fn arn(&self) -> &str {
        self.arn
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or_default()
    }
}

#[async_trait]
impl Resource for LoadBalancerResource {
    type Model = LoadBalancer;

    fn type_name(&self) -> &'static str {
        "roundrobin_lb"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("An application load balancer. It spreads requests over the targets of its listeners' target groups, in at least two Availability Zones.")
                .attribute(Attribute::computed("id", Type::String).stable().describe("ARN of the load balancer."))
                .attribute(Attribute::computed("arn", Type::String).stable().describe("ARN of the load balancer."))
                .attribute(Attribute::computed("arn_suffix", Type::String).stable().describe("The part of the ARN CloudWatch metrics use (`app/NAME/ID`)."))
                .attribute(Attribute::required("name", Type::String).requires_replace().validate(Validator::LengthBetween(1, 32)).describe("Name of the load balancer: letters, digits and hyphens, at most 32. Changing it creates a new load balancer."))
                .attribute(Attribute::defaulted("internal", Type::Bool, false).requires_replace().describe("An internal load balancer (private addresses only) instead of an internet-facing one. Changing it creates a new load balancer."))
                .attribute(Attribute::required("subnets", Type::set(Type::String)).describe("Subnets to place the load balancer in: at least two, in different Availability Zones."))
                .attribute(Attribute::optional_computed("security_groups", Type::set(Type::String)).stable().describe("Security groups of the load balancer; AWS chooses when left out."))
                .attribute(Attribute::defaulted("idle_timeout", Type::Number, DEFAULT_IDLE_TIMEOUT).validate(Validator::IntBetween(1, 4000)).describe("Seconds a connection may stay idle."))
                .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags of the load balancer."))
                .attribute(Attribute::computed("dns_name", Type::String).stable().describe("DNS name of the load balancer."))
                .attribute(Attribute::computed("zone_id", Type::String).stable().describe("Route 53 hosted zone id of the load balancer, for alias records."))
                .attribute(Attribute::computed("vpc_id", Type::String).stable().describe("VPC of the load balancer's subnets."))
                .block(timeouts::block(&["create", "delete"])),
        )
    }

    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut crate::framework::Dice<'_>) {
        shaping::shape(config, dice);
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let Some(subnets) = config.get_attr("subnets").filter(|v| v.is_wholly_known()) else {
            return;
        };
        let count = subnets.as_elements().map_or(0, <[Value]>::len);
        if !subnets.is_null() && count < 2 {
            diags.push_attribute_error(
                Path::root().attr("subnets"),
                "Too few subnets",
                format!("An application load balancer needs subnets in at least two Availability Zones; got {count} subnet(s)."),
            );
        }
    }

    async fn create(&self, aws: &Aws, planned: LoadBalancer) -> ApplyResult<LoadBalancer> {
        let subnets = planned.subnets.clone().unwrap_or_default();
        check_distinct_zones(aws, &subnets).await?;
        let scheme = if planned.internal.unwrap_or(false) {
            LoadBalancerSchemeEnum::Internal
        } else {
            LoadBalancerSchemeEnum::InternetFacing
        };
        if let Some(arn) = existing::load_balancer(aws, &planned.name).await? {
            return Err(already_exists(&taken(&planned.name, &arn)).into());
        }
        let token = create_token();
        let mut tags = to_elb(&planned.tags.clone().unwrap_or_default());
        tags.push(token_tag(&token));
        let out = aws
            .elb
            .create_load_balancer()
            .name(&planned.name)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(scheme)
            .set_subnets(Some(subnets))
            .set_security_groups(planned.security_groups.clone().filter(|g| !g.is_empty()))
            .set_tags(Some(tags))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if is_duplicate(e.code()) => {
                let arn = existing::load_balancer(aws, &planned.name).await?;
                return Err(
                    not_made_by_us(&taken(&planned.name, arn.as_deref().unwrap_or("ARN"))).into(),
                );
            }
            Err(e) => {
                return Err(
                    aws_error(&format!("creating load balancer {:?}", planned.name), &e).into(),
                );
            }
        };
        let arn = out
            .load_balancers()
            .first()
            .and_then(|lb| lb.load_balancer_arn())
            .unwrap_or_default()
            .to_string();
        // ELBv2 answers an existing load balancer of the same name and
        // settings as if it were new: only one with our token is ours.
        if !elb_made_by_us(aws, &arn, &token).await? {
            return Err(not_made_by_us(&taken(&planned.name, &arn)).into());
        }
        let made = LoadBalancer {
            id: Some(arn.clone()),
            arn: Some(arn.clone()),
            ..planned.clone()
        };
        let rest = async {
            set_idle_timeout(
                aws,
                &arn,
                planned.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
                Made::ThisApply,
            )
            .await?;
            drop_elb_token(aws, &arn).await?;
            let timeout = Timeouts::get(&planned.timeouts, "create", CREATE_TIMEOUT);
            wait_until_active(aws, &arn, timeout).await?;
            read_after_write(aws, &format!("load balancer {arn}"), || read_lb(aws, &made)).await
        };
        rest.await.map_err(|d| ApplyError::partial(made.clone(), d))
    }

    async fn read(
        &self,
        aws: &Aws,
        current: LoadBalancer,
    ) -> Result<Option<LoadBalancer>, Diagnostics> {
        read_lb(aws, &current).await
    }

    async fn update(
        &self,
        aws: &Aws,
        prior: LoadBalancer,
        planned: LoadBalancer,
    ) -> ApplyResult<LoadBalancer> {
        let arn = prior.arn().to_string();
        let step = async {
            if !same_set(&prior.subnets, &planned.subnets) {
                let subnets = planned.subnets.clone().unwrap_or_default();
                check_distinct_zones(aws, &subnets).await?;
                aws.elb
                    .set_subnets()
                    .load_balancer_arn(&arn)
                    .set_subnets(Some(subnets))
                    .send()
                    .await
                    .map_err(|e| aws_error(&format!("changing the subnets of {arn}"), &e))?;
            }
            if let Some(groups) = planned.security_groups.clone()
                && !same_set(&prior.security_groups, &planned.security_groups)
            {
                aws.elb
                    .set_security_groups()
                    .load_balancer_arn(&arn)
                    .set_security_groups(Some(groups))
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(&format!("changing the security groups of {arn}"), &e)
                    })?;
            }
            if prior.idle_timeout != planned.idle_timeout {
                set_idle_timeout(
                    aws,
                    &arn,
                    planned.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
                    Made::Earlier,
                )
                .await?;
            }
            update_tags(
                aws,
                &arn,
                &prior.tags.clone().unwrap_or_default(),
                &planned.tags.clone().unwrap_or_default(),
            )
            .await?;
            let known = LoadBalancer {
                id: Some(arn.clone()),
                arn: Some(arn.clone()),
                ..planned.clone()
            };
            read_lb(aws, &known).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Load balancer vanished",
                    format!("{arn} disappeared while it was being updated."),
                )
            })
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    async fn delete(&self, aws: &Aws, state: LoadBalancer) -> Result<(), Diagnostics> {
        let arn = state.arn().to_string();
        match aws
            .elb
            .delete_load_balancer()
            .load_balancer_arn(&arn)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("LoadBalancerNotFound") => return Ok(()),
            Err(e) => return Err(aws_error(&format!("deleting load balancer {arn}"), &e)),
        }
        let timeout = Timeouts::get(&state.timeouts, "delete", DELETE_TIMEOUT);
        let gone = wait::until(Backoff::new(timeout), &aws.stop, || async {
            describe(aws, &arn)
                .await
                .map(|lb| lb.is_none().then_some(()))
        })
        .await;
        gone.map_err(|e| wait_error(e, &arn, "deleted"))
    }

    fn import(&self, id: &str) -> Result<LoadBalancer, Diagnostics> {
        if !(id.starts_with("arn:") && id.contains(":loadbalancer/app/")) {
            return Err(Diagnostics::error(
                "Invalid import id",
                format!(
                    "Import a load balancer by its ARN, like arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188; got {id:?}."
                ),
            ));
        }
        Ok(LoadBalancer {
            id: Some(id.to_string()),
            arn: Some(id.to_string()),
            ..LoadBalancer::default()
        })
    }
}

/// A load balancer of the name exists already; its import takes its ARN.
fn taken<'a>(name: &'a str, arn: &'a str) -> Existing<'a> {
    Existing {
        kind: "load balancer",
        name,
        type_name: "roundrobin_lb",
        import_id: arn,
        path: Path::root().attr("name"),
    }
}

async fn read_lb(aws: &Aws, known: &LoadBalancer) -> Result<Option<LoadBalancer>, Diagnostics> {
    let arn = known.arn();
    let Some(lb) = describe(aws, arn).await? else {
        return Ok(None);
    };
    let attributes = aws
        .elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading the attributes of {arn}"), &e))?;
    let idle_timeout = attributes
        .attributes()
        .iter()
        .find(|a| a.key() == Some(IDLE_TIMEOUT))
        .and_then(|a| a.value()?.parse().ok())
        .unwrap_or(DEFAULT_IDLE_TIMEOUT);
    let arn = lb.load_balancer_arn().unwrap_or(arn).to_string();
    Ok(Some(LoadBalancer {
        id: Some(arn.clone()),
        arn_suffix: Some(arn_suffix(&arn, ":loadbalancer/")),
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        internal: Some(lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal)),
        subnets: Some(
            lb.availability_zones()
                .iter()
                .filter_map(|z| z.subnet_id())
                .map(str::to_string)
                .collect(),
        ),
        security_groups: Some(lb.security_groups().to_vec()),
        idle_timeout: Some(idle_timeout),
        tags: Some(read_tags(aws, &arn).await?),
        dns_name: lb.dns_name().map(str::to_string),
        zone_id: lb.canonical_hosted_zone_id().map(str::to_string),
        vpc_id: lb.vpc_id().map(str::to_string),
        timeouts: known.timeouts.clone(),
        arn: Some(arn),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_suffix_is_what_cloudwatch_uses() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
        assert_eq!(
            arn_suffix(arn, ":loadbalancer/"),
            "app/web/50dc6c495c0c9188"
        );
    }

    #[test]
    fn one_subnet_is_refused_at_plan_time() {
        let config = Value::object([("subnets".to_string(), Value::Set(vec!["subnet-1".into()]))]);
        let mut diags = Diagnostics::new();
        LoadBalancerResource.validate(&config, &mut diags);
        assert!(diags.has_errors());
        assert_eq!(diags.0[0].path, Some(Path::root().attr("subnets")));
    }
}
