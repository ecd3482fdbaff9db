//! The `redirect` block of a listener: every request is answered with a
//! redirect to a URL built from the parts given, each defaulting to the
//! request's own (`#{host}`, `/#{path}`, `#{port}`, `#{protocol}`,
//! `#{query}`). ELBv2 API reference, `RedirectActionConfig`; ALB user guide,
//! "Redirect actions".

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
};
use cty::Type;
use serde::{Deserialize, Serialize};

use crate::framework::{Attribute, Block, Validator, null_as_default};

/// Each part's value when left out: the request's own, as AWS fills it in.
pub const HOST: &str = "#{host}";
pub const PATH: &str = "/#{path}";
pub const PORT: &str = "#{port}";
pub const PROTOCOL: &str = "#{protocol}";
pub const QUERY: &str = "#{query}";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Redirect {
    #[serde(deserialize_with = "null_as_default")]
    pub status_code: String,
    pub host: Option<String>,
    pub path: Option<String>,
    pub port: Option<String>,
    pub protocol: Option<String>,
    pub query: Option<String>,
}

impl Redirect {
    pub fn to_action(&self) -> Action {
        let part = |value: &Option<String>, default: &str| {
            value.clone().unwrap_or_else(|| default.to_string())
        };
        Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .status_code(RedirectActionStatusCodeEnum::from(
                        self.status_code.as_str(),
                    ))
                    .host(part(&self.host, HOST))
                    .path(part(&self.path, PATH))
                    .port(part(&self.port, PORT))
                    .protocol(part(&self.protocol, PROTOCOL))
                    .query(part(&self.query, QUERY))
                    .build(),
            )
            .build()
    }

    /// The redirect as AWS has it; a part AWS leaves out is the request's
    /// own, as the API reference documents its default.
    pub fn from_aws(action: &Action) -> Option<Redirect> {
        let config = action.redirect_config()?;
        let part = |value: Option<&str>, default: &str| Some(value.unwrap_or(default).to_string());
        Some(Redirect {
            status_code: config
                .status_code()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            host: part(config.host(), HOST),
            path: part(config.path(), PATH),
            port: part(config.port(), PORT),
            protocol: part(config.protocol(), PROTOCOL),
            query: part(config.query(), QUERY),
        })
    }
}

pub fn block() -> Block {
    Block::new(
        "Answer every request with a redirect; each part of the URL defaults to the request's own.",
    )
    .attribute(
        Attribute::required("status_code", Type::String)
            .validate(Validator::OneOf(&["HTTP_301", "HTTP_302"]))
            .describe("`HTTP_301` (permanent) or `HTTP_302` (temporary)."),
    )
    .attribute(
        Attribute::defaulted("host", Type::String, HOST)
            .validate(Validator::LengthBetween(1, 128))
            .describe("Host name to redirect to; `#{host}` keeps the request's."),
    )
    .attribute(
        Attribute::defaulted("path", Type::String, PATH)
            .validate(Validator::StartsWith("/"))
            .describe("Absolute path to redirect to; `/#{path}` keeps the request's."),
    )
    .attribute(
        Attribute::defaulted("port", Type::String, PORT)
            .describe("Port 1–65535 to redirect to; `#{port}` keeps the request's."),
    )
    .attribute(
        Attribute::defaulted("protocol", Type::String, PROTOCOL)
            .validate(Validator::OneOf(&["HTTP", "HTTPS", PROTOCOL]))
            .describe("`HTTP`, `HTTPS`, or `#{protocol}` for the request's."),
    )
    .attribute(
        Attribute::defaulted("query", Type::String, QUERY)
            .validate(Validator::LengthBetween(0, 128))
            .describe("Query string without the `?`; `#{query}` keeps the request's."),
    )
}
