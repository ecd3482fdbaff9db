//! The `health_check` block of a target group: its schema, its checks, and
//! how it reads from and writes to AWS.

use aws_sdk_elasticloadbalancingv2::types::{Matcher, TargetGroup as AwsTargetGroup};
use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::aws::{Aws, aws_error};
use crate::framework::{Attribute, Block, Diagnostics, Validator};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: Option<String>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub healthy_threshold: Option<i64>,
    pub unhealthy_threshold: Option<i64>,
    pub matcher: Option<String>,
}

/// AWS's defaults for an HTTP target group, and the block's.
impl Default for HealthCheck {
    fn default() -> Self {
        Self {
            path: Some("/".into()),
            interval: Some(30),
            timeout: Some(5),
            healthy_threshold: Some(5),
            unhealthy_threshold: Some(2),
            matcher: Some("200".into()),
        }
    }
}

pub fn int(n: Option<i64>) -> Option<i32> {
    n.and_then(|n| i32::try_from(n).ok())
}

impl HealthCheck {
    pub fn matcher(&self) -> Option<Matcher> {
        self.matcher
            .clone()
            .map(|m| Matcher::builder().http_code(m).build())
    }

    pub fn from_aws(group: &AwsTargetGroup) -> HealthCheck {
        HealthCheck {
            path: group.health_check_path().map(str::to_string),
            interval: group.health_check_interval_seconds().map(i64::from),
            timeout: group.health_check_timeout_seconds().map(i64::from),
            healthy_threshold: group.healthy_threshold_count().map(i64::from),
            unhealthy_threshold: group.unhealthy_threshold_count().map(i64::from),
            matcher: group
                .matcher()
                .and_then(|m| m.http_code())
                .map(str::to_string),
        }
    }

    /// Sets this health check on an existing target group.
    pub async fn apply(&self, aws: &Aws, arn: &str) -> Result<(), Diagnostics> {
        aws.elb
            .modify_target_group()
            .target_group_arn(arn)
            .set_health_check_path(self.path.clone())
            .set_health_check_interval_seconds(int(self.interval))
            .set_health_check_timeout_seconds(int(self.timeout))
            .set_healthy_threshold_count(int(self.healthy_threshold))
            .set_unhealthy_threshold_count(int(self.unhealthy_threshold))
            .set_matcher(self.matcher())
            .send()
            .await
            .map(drop)
            .map_err(|e| aws_error(&format!("changing the health check of {arn}"), &e))
    }
}

pub fn block() -> Block {
    Block::new("How the load balancer checks that a target is healthy. Without this block, the defaults below apply.")
        .attribute(Attribute::defaulted("path", Type::String, "/").validate(Validator::StartsWith("/")).describe("Path of the HTTP health check request."))
        .attribute(Attribute::defaulted("interval", Type::Number, 30).validate(Validator::IntBetween(5, 300)).describe("Seconds between checks of one target."))
        .attribute(Attribute::defaulted("timeout", Type::Number, 5).validate(Validator::IntBetween(2, 120)).describe("Seconds without an answer that make a check fail; less than `interval`."))
        .attribute(Attribute::defaulted("healthy_threshold", Type::Number, 5).validate(Validator::IntBetween(2, 10)).describe("Consecutive successes that make a target healthy."))
        .attribute(Attribute::defaulted("unhealthy_threshold", Type::Number, 2).validate(Validator::IntBetween(2, 10)).describe("Consecutive failures that make a target unhealthy."))
        .attribute(Attribute::defaulted("matcher", Type::String, "200").validate(Validator::LengthBetween(3, 64)).describe("HTTP codes of a healthy answer, such as `200` or `200-299`."))
}

/// A check must time out before the next one starts.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let Some(check) = config.get_attr("health_check").filter(|v| !v.is_null()) else {
        return;
    };
    let get = |name, default| match check.get_attr(name) {
        Some(v) if v.is_null() => Some(default),
        Some(v) => v.as_i64(),
        None => Some(default),
    };
    if let (Some(timeout), Some(interval)) = (get("timeout", 5), get("interval", 30))
        && timeout >= interval
    {
        diags.push_attribute_error(
            Path::root().attr("health_check").attr("timeout"),
            "Health check timeout too long",
            format!(
                "health_check.timeout ({timeout}s) must be less than health_check.interval ({interval}s)."
            ),
        );
    }
}
