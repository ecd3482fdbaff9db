//! The calls `roundrobin_lb` makes besides create and delete: checking the
//! subnets' zones, setting the idle timeout and waiting on the state.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancer as AwsLoadBalancer, LoadBalancerAttribute, LoadBalancerStateEnum,
};
use cty::Path;

use super::IDLE_TIMEOUT;
use crate::aws::consistency::{Made, write_to};
use crate::aws::wait::{self, Backoff, WaitError};
use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;

pub(super) fn same_set(a: &Option<Vec<String>>, b: &Option<Vec<String>>) -> bool {
    let sorted = |v: &Option<Vec<String>>| {
        let mut v = v.clone().unwrap_or_default();
        v.sort();
        v
    };
    sorted(a) == sorted(b)
}

/// AWS refuses an ALB without two Availability Zones; moto does not, so the
/// provider checks before creating anything.
pub(super) async fn check_distinct_zones(aws: &Aws, subnets: &[String]) -> Result<(), Diagnostics> {
    let path = Path::root().attr("subnets");
    let out = aws
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnets.to_vec()))
        .send()
        .await
        .map_err(|e| {
            let mut d = Diagnostics::new();
            d.push_attribute_error(path.clone(), "Cannot read the subnets", e.describe());
            d
        })?;
    let mut zones: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for subnet in out.subnets() {
        let zone = subnet.availability_zone().unwrap_or("?").to_string();
        zones
            .entry(zone)
            .or_default()
            .push(subnet.subnet_id().unwrap_or("?").to_string());
    }
    if zones.len() >= 2 {
        return Ok(());
    }
    let detail = zones
        .iter()
        .map(|(zone, ids)| format!("{} in {zone}", ids.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    Err(Diagnostics::attribute_error(
        path,
        "Subnets must span two Availability Zones",
        format!(
            "An application load balancer needs subnets in at least two different Availability Zones, but all given subnets are in one: {detail}."
        ),
    ))
}

/// Sets the idle timeout; `made` says whether this apply just created the
/// load balancer (AWS may not know it for a few seconds yet).
pub(super) async fn set_idle_timeout(
    aws: &Aws,
    arn: &str,
    seconds: i64,
    made: Made,
) -> Result<(), Diagnostics> {
    let call = aws
        .elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(
            LoadBalancerAttribute::builder()
                .key(IDLE_TIMEOUT)
                .value(seconds.to_string())
                .build(),
        );
    let what = format!("setting the idle timeout of {arn}");
    write_to(aws, made, &what, || call.clone().send())
        .await
        .map(drop)
}

pub(super) async fn wait_until_active(
    aws: &Aws,
    arn: &str,
    timeout: Duration,
) -> Result<(), Diagnostics> {
    let started = std::time::Instant::now();
    let result = wait::until(Backoff::new(timeout), &aws.stop, || async move {
        let Some(lb) = describe(aws, arn).await? else {
            // Just created: Describe may not see it for a few seconds.
            if crate::aws::consistency::may_still_be_invisible(started) {
                return Ok(None);
            }
            return Err(Diagnostics::error(
                "Load balancer vanished",
                format!("{arn} disappeared while becoming active."),
            ));
        };
        let state = lb.state();
        match state.and_then(|s| s.code()) {
            Some(LoadBalancerStateEnum::Active | LoadBalancerStateEnum::ActiveImpaired) => {
                Ok(Some(()))
            }
            Some(LoadBalancerStateEnum::Failed) => Err(Diagnostics::error(
                "Load balancer failed",
                format!(
                    "{arn} failed to become active: {}",
                    state
                        .and_then(|s| s.reason())
                        .unwrap_or("AWS gave no reason")
                ),
            )),
            _ => Ok(None),
        }
    })
    .await;
    result.map_err(|e| wait_error(e, arn, "active"))
}

pub(super) fn wait_error(e: WaitError<Diagnostics>, arn: &str, goal: &str) -> Diagnostics {
    match e {
        WaitError::Failed(d) => d,
        WaitError::TimedOut(after) => Diagnostics::error(
            "Timed out waiting for the load balancer",
            format!(
                "{arn} was not {goal} after {}s; raise the timeouts block's value to wait longer.",
                after.as_secs()
            ),
        ),
        WaitError::Stopped => Diagnostics::error(
            "Interrupted",
            format!("Stopped while waiting for {arn} to be {goal}."),
        ),
    }
}

pub(super) async fn describe(aws: &Aws, arn: &str) -> Result<Option<AwsLoadBalancer>, Diagnostics> {
    match aws
        .elb
        .describe_load_balancers()
        .load_balancer_arns(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out.load_balancers().first().cloned()),
        Err(e) if e.code() == Some("LoadBalancerNotFound") => Ok(None),
        Err(e) => Err(aws_error(&format!("reading load balancer {arn}"), &e)),
    }
}
