//! data `roundrobin_default_network`: the region's default VPC and one
//! default subnet per Availability Zone, sorted by zone, so that a load
//! balancer and an autoscaling group can span zones without hard-coded ids.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use cty::{Path, Type};
use serde::{Deserialize, Serialize};

use crate::aws::{Aws, aws_error};
use crate::framework::{Attribute, Block, DataSource, Diagnostics, Schema, Validator};

const DEFAULT_MIN_AZS: i64 = 2;

pub struct DefaultNetworkDataSource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DefaultNetwork {
    pub id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_ids: Option<Vec<String>>,
    pub availability_zones: Option<Vec<String>>,
    pub min_azs: Option<i64>,
}

#[async_trait]
impl DataSource for DefaultNetworkDataSource {
    type Model = DefaultNetwork;

    fn type_name(&self) -> &'static str {
        "roundrobin_default_network"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("The region's default VPC and its default subnets, one per Availability Zone, sorted by zone.")
                .attribute(Attribute::computed("id", Type::String).describe("Id of the default VPC."))
                .attribute(Attribute::computed("vpc_id", Type::String).describe("Id of the default VPC."))
                .attribute(Attribute::computed("subnet_ids", Type::list(Type::String)).describe("One default subnet per Availability Zone, in the order of `availability_zones`."))
                .attribute(Attribute::computed("availability_zones", Type::list(Type::String)).describe("The zones of `subnet_ids`, sorted."))
                .attribute(Attribute::defaulted("min_azs", Type::Number, DEFAULT_MIN_AZS).validate(Validator::IntBetween(1, 32)).describe("The least number of zones with a default subnet; fewer is an error.")),
        )
    }

    async fn read(&self, aws: &Aws, config: DefaultNetwork) -> Result<DefaultNetwork, Diagnostics> {
        let min_azs = config.min_azs.unwrap_or(DEFAULT_MIN_AZS);
        // Only a default VPC has default subnets, so one DescribeSubnets finds
        // both the VPC and its subnets; the VPC is looked up on its own only
        // to explain why none were found.
        let subnets = aws
            .ec2
            .describe_subnets()
            .filters(
                Filter::builder()
                    .name("default-for-az")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws_error("listing the default subnets", &e))?;
        let Some(vpc_id) = subnets
            .subnets()
            .iter()
            .filter_map(|s| s.vpc_id())
            .min()
            .map(str::to_string)
        else {
            return Err(no_default_subnets(aws).await);
        };
        let subnets: Vec<_> = subnets
            .subnets()
            .iter()
            .filter(|s| s.vpc_id() == Some(vpc_id.as_str()))
            .collect();
        let mut by_zone: BTreeMap<String, String> = BTreeMap::new();
        for subnet in subnets {
            if let (Some(zone), Some(id)) = (subnet.availability_zone(), subnet.subnet_id()) {
                // One per zone; the smallest id wins so the choice is stable.
                let entry = by_zone
                    .entry(zone.to_string())
                    .or_insert_with(|| id.to_string());
                if id < entry.as_str() {
                    *entry = id.to_string();
                }
            }
        }
        let found = i64::try_from(by_zone.len()).unwrap_or(i64::MAX);
        if found < min_azs {
            return Err(Diagnostics::attribute_error(
                Path::root().attr("min_azs"),
                "Too few Availability Zones",
                format!(
                    "The default VPC {vpc_id} has default subnets in {found} Availability Zone(s) ({}), but at least {min_azs} are needed. Create default subnets with `aws ec2 create-default-subnet --availability-zone ZONE`.",
                    by_zone.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        Ok(DefaultNetwork {
            id: Some(vpc_id.clone()),
            vpc_id: Some(vpc_id),
            availability_zones: Some(by_zone.keys().cloned().collect()),
            subnet_ids: Some(by_zone.into_values().collect()),
            min_azs: Some(min_azs),
        })
    }
}

/// Why the region has no default subnet: no default VPC at all, or one
/// whose default subnets were deleted.
async fn no_default_subnets(aws: &Aws) -> Diagnostics {
    let vpcs = aws
        .ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await;
    match vpcs {
        Err(e) => aws_error("looking up the default VPC", &e),
        Ok(out) => match out.vpcs().first().and_then(|v| v.vpc_id()) {
            None => Diagnostics::error(
                "No default VPC",
                format!(
                    "Region {} has no default VPC (create one with `aws ec2 create-default-vpc`).",
                    aws.region
                ),
            ),
            Some(vpc_id) => Diagnostics::attribute_error(
                Path::root().attr("min_azs"),
                "Too few Availability Zones",
                format!(
                    "The default VPC {vpc_id} has no default subnet. Create default subnets with `aws ec2 create-default-subnet --availability-zone ZONE`."
                ),
            ),
        },
    }
}
