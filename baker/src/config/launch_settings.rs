//! `builder.metadata_options` and `builder.shutdown_behavior` (Packer's
//! keys): how the builder's instance metadata service is set up and what
//! an instance-initiated shutdown does, with the rules RunInstances applies
//! (EC2 API reference, `InstanceMetadataOptionsRequest`, RunInstances).

use serde::Deserialize;

use super::Config;
use super::spot::SpotPrice;
use crate::error::Problem;

/// The builder's metadata options (Packer's `metadata_options` block).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MetadataOptions {
    /// `enabled` (SSM's agent reads its credentials there) or `disabled`.
    pub http_endpoint: String,
    /// `required` (IMDSv2 only, baker's default) or `optional`.
    pub http_tokens: String,
    /// How many network hops a metadata answer may travel: 1 to 64.
    pub http_put_response_hop_limit: u32,
    /// `enabled`: the instance's tags are readable from the metadata.
    pub instance_metadata_tags: String,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        Self {
            http_endpoint: "enabled".into(),
            http_tokens: "required".into(),
            http_put_response_hop_limit: 1,
            instance_metadata_tags: "disabled".into(),
        }
    }
}

/// AWS's limits on `HttpPutResponseHopLimit`.
pub const HOP_LIMITS: std::ops::RangeInclusive<u32> = 1..=64;

/// The shutdown behaviors RunInstances takes.
pub const SHUTDOWN_BEHAVIORS: &[&str] = &["stop", "terminate"];

fn one_of(field: &str, value: &str, allowed: &[&str], problems: &mut Vec<Problem>) {
    if !allowed.contains(&value) {
        problems.push(Problem::new(
            field,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ));
    }
}

/// Every problem with the metadata options and the shutdown behavior.
pub fn check(config: &Config) -> Vec<Problem> {
    let options = &config.builder.metadata_options;
    let mut problems = Vec::new();
    let field = |name: &str| format!("builder.metadata_options.{name}");
    one_of(
        &field("http_endpoint"),
        &options.http_endpoint,
        &["enabled", "disabled"],
        &mut problems,
    );
    if options.http_endpoint == "disabled" {
        problems.push(Problem::new(
            field("http_endpoint"),
            "baker builds through SSM, whose agent on the builder reads its credentials \
             from the instance metadata service: it must stay enabled",
        ));
    }
    one_of(
        &field("http_tokens"),
        &options.http_tokens,
        &["required", "optional"],
        &mut problems,
    );
    if !HOP_LIMITS.contains(&options.http_put_response_hop_limit) {
        problems.push(Problem::new(
            field("http_put_response_hop_limit"),
            format!(
                "{} is not between {} and {}",
                options.http_put_response_hop_limit,
                HOP_LIMITS.start(),
                HOP_LIMITS.end()
            ),
        ));
    }
    one_of(
        &field("instance_metadata_tags"),
        &options.instance_metadata_tags,
        &["enabled", "disabled"],
        &mut problems,
    );

    let behavior = config.builder.shutdown_behavior.as_str();
    if !behavior.is_empty() {
        one_of(
            "builder.shutdown_behavior",
            behavior,
            SHUTDOWN_BEHAVIORS,
            &mut problems,
        );
    }
    let spot = SpotPrice::parse(&config.builder.spot_price).is_ok_and(|p| p.is_spot());
    if behavior == "stop" && spot {
        problems.push(Problem::new(
            "builder.shutdown_behavior",
            "AWS refuses \"stop\" for a spot instance (a one-time spot instance cannot be \
             stopped): leave it unset or set \"terminate\" with builder.spot_price",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(config: &Config) -> Vec<String> {
        check(config).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn the_defaults_pass_and_each_mistake_names_its_field() {
        let mut config = Config::default();
        assert!(fields(&config).is_empty());
        let options = &mut config.builder.metadata_options;
        options.http_endpoint = "disabled".into();
        options.http_tokens = "sometimes".into();
        options.http_put_response_hop_limit = 65;
        options.instance_metadata_tags = "yes".into();
        config.builder.shutdown_behavior = "hibernate".into();
        assert_eq!(
            fields(&config),
            vec![
                "builder.metadata_options.http_endpoint",
                "builder.metadata_options.http_tokens",
                "builder.metadata_options.http_put_response_hop_limit",
                "builder.metadata_options.instance_metadata_tags",
                "builder.shutdown_behavior",
            ]
        );
    }

    #[test]
    fn a_spot_builder_may_not_stop_on_shutdown() {
        let mut config = Config::default();
        config.builder.shutdown_behavior = "stop".into();
        assert!(fields(&config).is_empty());
        config.builder.spot_price = "auto".into();
        assert_eq!(fields(&config), vec!["builder.shutdown_behavior"]);
        config.builder.shutdown_behavior = "terminate".into();
        assert!(fields(&config).is_empty());
    }
}
