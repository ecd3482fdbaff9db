//! The provider block: `region`, `profile`, `endpoint`.

use cty::{Path, Type, Value};
use tokio_util::sync::CancellationToken;

use crate::aws::Aws;
use crate::framework::{Attribute, Block, Diagnostics, Schema};
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
            )),
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

pub async fn connect(config: &Value, stop: CancellationToken) -> Result<Aws, Diagnostics> {
    let settings = settings(config);
    Aws::connect(&settings, stop).await.map_err(|e| {
        let attr = match e {
            ConnectError::NoRegion => "region",
            ConnectError::BadEndpoint(_) => "endpoint",
        };
        Diagnostics::attribute_error(
            Path::root().attr(attr),
            "Invalid provider configuration",
            e.to_string(),
        )
    })
}
