//! The `timeouts { create = "15m" ... }` block Terraform users know, for
//! resources whose operations wait on AWS.

use std::time::Duration;

use cty::Type;
use serde::{Deserialize, Serialize};

use super::schema::{Attribute, Block, NestedBlock};
use super::validators::Validator;

/// The block, with one attribute per operation that waits.
pub fn block(operations: &[&'static str]) -> NestedBlock {
    let mut block =
        Block::new("How long each operation may wait, as a duration such as `30s`, `10m` or `1h`.");
    for op in operations {
        block =
            block.attribute(Attribute::optional(op, Type::String).validate(Validator::Duration));
    }
    NestedBlock::single("timeouts", block)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<String>,
}

impl Timeouts {
    /// The configured duration for an operation, else `default`.
    pub fn get(timeouts: &Option<Timeouts>, op: &str, default: Duration) -> Duration {
        let text = timeouts.as_ref().and_then(|t| match op {
            "create" => t.create.as_deref(),
            "update" => t.update.as_deref(),
            "delete" => t.delete.as_deref(),
            _ => None,
        });
        text.and_then(parse_duration).unwrap_or(default)
    }
}

/// Go-style durations as Terraform users write them: `90s`, `10m`, `1h30m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    (digits.is_empty() && total > 0).then(|| Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terraform_durations() {
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45"), None);
        assert_eq!(parse_duration("soon"), None);
    }
}
