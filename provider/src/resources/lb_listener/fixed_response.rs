//! The `fixed_response` block of a listener: the load balancer answers
//! every request itself, with a status code, a content type and a body (a
//! maintenance page, a 404 for unmatched hosts). ELBv2 API reference,
//! `FixedResponseActionConfig`.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, FixedResponseActionConfig};
use cty::Type;
use serde::{Deserialize, Serialize};

use crate::framework::{Attribute, Block, Validator, null_as_default};

/// The content types FixedResponseActionConfig accepts.
const CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "text/css",
    "text/html",
    "application/javascript",
    "application/json",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FixedResponse {
    #[serde(deserialize_with = "null_as_default")]
    pub status_code: String,
    pub content_type: Option<String>,
    pub message_body: Option<String>,
}

impl FixedResponse {
    pub fn to_action(&self) -> Action {
        Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(&self.status_code)
                    .set_content_type(self.content_type.clone())
                    .set_message_body(self.message_body.clone())
                    .build(),
            )
            .build()
    }

    pub fn from_aws(action: &Action) -> Option<FixedResponse> {
        let config = action.fixed_response_config()?;
        Some(FixedResponse {
            status_code: config.status_code().unwrap_or_default().to_string(),
            content_type: config.content_type().map(str::to_string),
            // AWS leaves an empty body out.
            message_body: config
                .message_body()
                .filter(|b| !b.is_empty())
                .map(str::to_string),
        })
    }
}

pub fn block() -> Block {
    Block::new("Answer every request with a fixed response (a maintenance page, a 404).")
        .attribute(
            Attribute::required("status_code", Type::String)
                .validate(Validator::LengthBetween(3, 3))
                .describe("HTTP status code: 2XX, 4XX or 5XX."),
        )
        .attribute(
            Attribute::optional("content_type", Type::String)
                .validate(Validator::OneOf(CONTENT_TYPES))
                .describe("Content type of the body: `text/plain`, `text/css`, `text/html`, `application/javascript` or `application/json`."),
        )
        .attribute(
            Attribute::optional("message_body", Type::String)
                .validate(Validator::LengthBetween(1, 1024))
                .describe("The body, at most 1024 characters."),
        )
}

/// Whether `code` is a status code a fixed response may answer with.
pub fn is_status_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 3
        && matches!(bytes[0], b'2' | b'4' | b'5')
        && bytes.iter().all(u8::is_ascii_digit)
}
