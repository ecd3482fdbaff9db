//! The schema of `roundrobin_security_group` and its rule checks.

use cty::{Path, Type, Value};

use crate::framework::{Attribute, Block, Diagnostics, NestedBlock, Schema, Validator, timeouts};

pub const DEFAULT_DESCRIPTION: &str = "Managed by Terraform";
const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "icmpv6", "-1", "all"];

fn rule_block(direction: &'static str) -> Block {
    Block::new(direction)
        .attribute(
            Attribute::required("from_port", Type::Number)
                .describe("Start of the port range (ICMP type for `icmp`).")
                .validate(Validator::IntBetween(0, 65535)),
        )
        .attribute(
            Attribute::required("to_port", Type::Number)
                .describe("End of the port range (ICMP code for `icmp`).")
                .validate(Validator::IntBetween(0, 65535)),
        )
        .attribute(
            Attribute::required("protocol", Type::String)
                .describe("`tcp`, `udp`, `icmp`, `icmpv6`, or `-1` for all protocols (ports are then ignored).")
                .validate(Validator::OneOf(PROTOCOLS)),
        )
        .attribute(Attribute::optional("cidr_blocks", Type::list(Type::String)).describe("IPv4 CIDR ranges."))
        .attribute(Attribute::optional("ipv6_cidr_blocks", Type::list(Type::String)).describe("IPv6 CIDR ranges."))
        .attribute(Attribute::optional("prefix_list_ids", Type::list(Type::String)).describe("Ids of managed prefix lists whose ranges may connect."))
        .attribute(Attribute::optional("security_groups", Type::list(Type::String)).describe("Ids of security groups whose members may connect."))
        .attribute(
            Attribute::optional("description", Type::String)
                .describe("Description of the rule.")
                .validate(Validator::LengthBetween(0, 255)),
        )
}

pub fn schema() -> Schema {
    Schema::new(
        Block::new("A VPC security group and its rules. Without `egress` blocks the group keeps AWS's default rule allowing all outbound traffic.")
            .attribute(Attribute::computed("id", Type::String).stable().describe("Security group id."))
            .attribute(Attribute::computed("arn", Type::String).stable().describe("Security group ARN."))
            .attribute(
                Attribute::required("name", Type::String)
                    .requires_replace()
                    .validate(Validator::LengthBetween(1, 255))
                    .describe("Name of the group. Changing it creates a new group."),
            )
            .attribute(
                Attribute::defaulted("description", Type::String, DEFAULT_DESCRIPTION)
                    .requires_replace()
                    .validate(Validator::LengthBetween(0, 255))
                    .describe("Description of the group. Changing it creates a new group."),
            )
            .attribute(
                Attribute::optional_computed("vpc_id", Type::String)
                    .requires_replace()
                    .stable()
                    .validate(Validator::Prefix("vpc-"))
                    .describe("VPC of the group; the region's default VPC when left out."),
            )
            .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags of the group."))
            .block(NestedBlock::list("ingress", rule_block("An inbound rule.")))
            .block(NestedBlock::list("egress", rule_block("An outbound rule.")))
            .block(timeouts::block(&["delete"])),
    )
}

/// Cross-field checks of one rule block at `path`.
pub fn validate_rule(rule: &Value, path: &Path, diags: &mut Diagnostics) {
    let port = |name| rule.get_attr(name).and_then(Value::as_i64);
    if let (Some(from), Some(to)) = (port("from_port"), port("to_port"))
        && from > to
    {
        diags.push_attribute_error(
            path.attr("from_port"),
            "Invalid port range",
            format!("{path}: from_port ({from}) must not be greater than to_port ({to})."),
        );
    }
    let has = |name| match rule.get_attr(name) {
        Some(v) if !v.is_known() => true,
        Some(v) => v.as_elements().is_some_and(|items| !items.is_empty()),
        None => false,
    };
    const SOURCES: [&str; 4] = [
        "cidr_blocks",
        "ipv6_cidr_blocks",
        "prefix_list_ids",
        "security_groups",
    ];
    if !SOURCES.into_iter().any(has) {
        diags.push_attribute_error(
            path.clone(),
            "Rule without a source",
            format!(
                "{path} needs cidr_blocks, ipv6_cidr_blocks, prefix_list_ids or security_groups: a rule must say whom it allows."
            ),
        );
    }
}
