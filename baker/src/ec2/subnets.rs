//! The builder's subnet from `builder.subnet_filter` and `builder.vpc_filter`,
//! as Packer's `subnet_filter` / `vpc_filter` choose it: the VPC filter must
//! match exactly one VPC; among the subnets that match (in that VPC), the
//! one with the most free addresses wins when `most_free` is on.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use roundrobin_aws::AwsErrorDetail;

use super::filter;
use crate::config::BuilderConfig;
use crate::error::StepError;

/// A subnet that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub subnet_id: String,
    pub vpc_id: String,
    /// AvailableIpAddressCount.
    pub free: i32,
}

/// The chosen subnet and how many matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub subnet: Candidate,
    pub matched: usize,
}

/// `{tag:Name=web, state=available}`, for messages.
pub fn describe(filters: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

fn ec2_filters(filters: &BTreeMap<String, String>) -> Vec<Filter> {
    filters
        .iter()
        .map(|(name, value)| filter(name, &[value]))
        .collect()
}

/// Picks among `candidates` (in AWS's order): the only one, or with
/// `most_free` the one with the most free addresses (the first on a tie).
pub fn pick(candidates: &[Candidate], most_free: bool) -> Result<Candidate, String> {
    match candidates {
        [] => Err("no subnet matches".into()),
        [one] => Ok(one.clone()),
        _ if most_free => {
            let mut best = &candidates[0];
            for c in &candidates[1..] {
                if c.free > best.free {
                    best = c;
                }
            }
            Ok(best.clone())
        }
        _ => Err(format!(
            "{} subnets match ({}): narrow the filter, or set builder.subnet_filter_most_free \
             = true to take the one with the most free addresses",
            candidates.len(),
            candidates
                .iter()
                .map(|c| c.subnet_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The one VPC `builder.vpc_filter` matches.
async fn vpc(ec2: &aws_sdk_ec2::Client, builder: &BuilderConfig) -> Result<String, StepError> {
    let shown = describe(&builder.vpc_filter);
    let mut pages = ec2
        .describe_vpcs()
        .set_filters(Some(ec2_filters(&builder.vpc_filter)))
        .into_paginator()
        .send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| StepError::Aws {
            action: "DescribeVpcs",
            detail: format!("builder.vpc_filter {shown}: {}", e.describe()),
        })?;
        ids.extend(
            page.vpcs()
                .iter()
                .filter_map(|v| v.vpc_id().map(str::to_string)),
        );
    }
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(StepError::unexpected(format!(
            "builder.vpc_filter {shown} matches no VPC: it must match exactly one"
        ))),
        _ => Err(StepError::unexpected(format!(
            "builder.vpc_filter {shown} matches {} VPCs ({}): it must match exactly one",
            ids.len(),
            ids.join(", ")
        ))),
    }
}

/// The subnet the filters choose; an error names the filter that did not
/// match. Nothing is created.
pub async fn choose(
    ec2: &aws_sdk_ec2::Client,
    builder: &BuilderConfig,
) -> Result<Chosen, StepError> {
    let vpc_id = if builder.vpc_filter.is_empty() {
        None
    } else {
        Some(vpc(ec2, builder).await?)
    };
    let mut filters = ec2_filters(&builder.subnet_filter);
    if let Some(vpc_id) = &vpc_id {
        filters.push(filter("vpc-id", &[vpc_id]));
    }
    let what = match (&vpc_id, builder.subnet_filter.is_empty()) {
        (Some(v), true) => format!(
            "in {v} (builder.vpc_filter {})",
            describe(&builder.vpc_filter)
        ),
        (Some(v), false) => format!(
            "builder.subnet_filter {} in {v} (builder.vpc_filter {})",
            describe(&builder.subnet_filter),
            describe(&builder.vpc_filter)
        ),
        (None, _) => format!("builder.subnet_filter {}", describe(&builder.subnet_filter)),
    };
    let mut pages = ec2
        .describe_subnets()
        .set_filters(Some(filters))
        .into_paginator()
        .send();
    let mut candidates = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| StepError::Aws {
            action: "DescribeSubnets",
            detail: format!("{what}: {}", e.describe()),
        })?;
        candidates.extend(page.subnets().iter().filter_map(|s| {
            Some(Candidate {
                subnet_id: s.subnet_id()?.to_string(),
                vpc_id: s.vpc_id()?.to_string(),
                free: s.available_ip_address_count().unwrap_or(0),
            })
        }));
    }
    let subnet = pick(&candidates, builder.subnet_filter_most_free)
        .map_err(|why| StepError::unexpected(format!("{what}: {why}")))?;
    Ok(Chosen {
        subnet,
        matched: candidates.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(id: &str, free: i32) -> Candidate {
        Candidate {
            subnet_id: id.into(),
            vpc_id: "vpc-1".into(),
            free,
        }
    }

    #[test]
    fn the_most_free_subnet_wins_and_a_tie_keeps_the_first() {
        let all = [subnet("a", 10), subnet("b", 250), subnet("c", 250)];
        assert_eq!(pick(&all, true).map(|s| s.subnet_id), Ok("b".into()));
        assert_eq!(pick(&all[..1], false).map(|s| s.subnet_id), Ok("a".into()));
    }

    #[test]
    fn none_or_several_without_most_free_is_an_error() {
        assert!(pick(&[], true).is_err());
        let err = pick(&[subnet("a", 1), subnet("b", 2)], false).expect_err("two");
        assert!(err.contains("2 subnets match (a, b)"), "{err}");
        assert!(err.contains("subnet_filter_most_free"), "{err}");
    }
}
