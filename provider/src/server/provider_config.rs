//! The provider block: `region`, `profile`, `endpoint`.

use cty::{Path, Type, Value};
use tokio_util::sync::CancellationToken;

use crate::aws::Aws;
use crate::framework::default_tags::{self, DefaultTags};
use crate::framework::{Attribute, Block, Diagnostics, NestedBlock, Schema};
use roundrobin_aws::{ConnectError, Settings};

pub fn schema() -> Schema {
    Schema::new(
        Block::new("Deploys web applications onto EC2 the immutable way: baked AMIs, launch template versions, waited instance refreshes behind a round-robin load balancer.")
            .attribute(Attribute::optional("region", Type::String).describe(
                "AWS region. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region.",
            ))
            .attribute(Attribute::optional("profile", Type::String).describe(
                "Named profile from the shared AWS config and credentials files. Defaults to `AWS_PROFILE`.",
            ))
            .attribute(Attribute::optional("endpoint", Type::String).describe(
                "Custom endpoint URL for every AWS service (an emulator or a private endpoint). Defaults to `AWS_ENDPOINT_URL`.",
            ))
            .block(NestedBlock::single(
                "default_tags",
                Block::new("Tags every resource with a `tags` argument gets (its own `tags` win); each such resource shows the merge in `tags_all`.")
                    .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("The default tags.")),
            )),
    )
}

/// The `default_tags { tags = ... }` of the provider block.
fn default_tags(config: &Value) -> DefaultTags {
    default_tags::tag_map(
        config
            .get_attr("default_tags")
            .and_then(|b| b.get_attr("tags")),
    )
}

fn settings(config: &Value) -> Settings {
    let text = |name| {
        config
            .get_attr(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Settings {
        region: text("region"),
        profile: text("profile"),
        endpoint: text("endpoint"),
    }
}

pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(endpoint) = settings(config).endpoint
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        diags.push_attribute_error(
            Path::root().attr("endpoint"),
            "Invalid endpoint",
            format!("endpoint must be an http:// or https:// URL, got {endpoint:?}."),
        );
    }
    diags
}

const SETTINGS: [&str; 3] = ["region", "profile", "endpoint"];

/// True when a setting that picks the account or region is unknown.
pub fn has_unknown_settings(config: &Value) -> bool {
    SETTINGS
        .iter()
        .any(|name| config.get_attr(name).is_some_and(|v| !v.is_known()))
}

/// The error for an operation that needs AWS while the settings are unknown
/// (after a deferred configure, Terraform should not ask for one).
pub fn unknown_settings_error() -> Diagnostics {
    Diagnostics::error(
        "Provider settings unknown",
        "The provider's region, profile or endpoint depends on a value Terraform learns only during apply, so this operation cannot reach AWS. Apply what it comes from first (terraform apply -target=...).",
    )
}

/// Provider settings that are unknown while planning (a region taken from
/// another resource's attribute) cannot pick an account or a region: say so,
/// rather than fall back to the environment's region in silence.
fn refuse_unknown(config: &Value) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::new();
    for name in SETTINGS {
        if config.get_attr(name).is_some_and(|v| !v.is_known()) {
            diags.push_attribute_error(
                Path::root().attr(name),
                "Provider setting unknown while planning",
                format!(
                    "The provider's {name} depends on a value Terraform learns only during apply, so it cannot be used to plan. Set {name} from a variable or a literal, or apply what it comes from first (terraform apply -target=...)."
                ),
            );
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(())
    }
}

pub async fn connect(config: &Value, stop: CancellationToken) -> Result<Aws, Diagnostics> {
    refuse_unknown(config)?;
    let settings = settings(config);
    let mut aws = Aws::connect(&settings, stop).await.map_err(|e| {
        let attr = match e {
            ConnectError::NoRegion => "region",
            ConnectError::BadEndpoint(_) => "endpoint",
        };
        Diagnostics::attribute_error(
            Path::root().attr(attr),
            "Invalid provider configuration",
            e.to_string(),
        )
    })?;
    aws.default_tags = default_tags(config);
    Ok(aws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_region_is_named_not_replaced_by_the_environment() {
        let config = Value::object([
            ("region".to_string(), Value::Unknown),
            ("profile".to_string(), Value::Null),
            ("endpoint".to_string(), Value::Null),
        ]);
        let diags = refuse_unknown(&config).expect_err("unknown region");
        assert_eq!(diags.0[0].path, Some(Path::root().attr("region")));
        assert!(
            refuse_unknown(&Value::object([("region".to_string(), "eu-west-1".into())])).is_ok()
        );
    }
}
