//! Per-attribute checks run at validate time on known, non-null values.

use cty::Value;

#[derive(Debug, Clone)]
pub enum Validator {
    /// An integer within `min..=max`.
    IntBetween(i64, i64),
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// A string of `min..=max` characters.
    LengthBetween(usize, usize),
    /// A string starting with the prefix (ids such as `sg-`, `ami-`).
    Prefix(&'static str),
    /// A string starting with the prefix, or the prefix alone (paths such
    /// as `/`).
    StartsWith(&'static str),
    /// Valid standard base64.
    Base64,
    /// A duration such as `30s`, `10m`, `1h30m`.
    Duration,
}

impl Validator {
    /// The problem with `value`, phrased to follow "Invalid value for NAME: ".
    pub fn check(&self, value: &Value) -> Option<String> {
        match self {
            Self::IntBetween(min, max) => match value.as_i64() {
                Some(n) if (*min..=*max).contains(&n) => None,
                Some(n) => Some(format!("must be between {min} and {max}, got {n}")),
                None => Some(format!("must be a whole number between {min} and {max}")),
            },
            Self::OneOf(allowed) => match value.as_str() {
                Some(s) if allowed.contains(&s) => None,
                Some(s) => Some(format!("must be one of {}, got {s:?}", quoted(allowed))),
                None => Some(format!("must be one of {}", quoted(allowed))),
            },
            Self::LengthBetween(min, max) => match value.as_str() {
                Some(s) if (*min..=*max).contains(&s.chars().count()) => None,
                Some(s) => Some(format!(
                    "must be {min} to {max} characters long, got {}",
                    s.chars().count()
                )),
                None => Some("must be a string".into()),
            },
            Self::Prefix(prefix) => match value.as_str() {
                Some(s) if s.starts_with(prefix) && s.len() > prefix.len() => None,
                Some(s) => Some(format!("must start with {prefix:?}, got {s:?}")),
                None => Some("must be a string".into()),
            },
            Self::StartsWith(prefix) => match value.as_str() {
                Some(s) if s.starts_with(prefix) => None,
                Some(s) => Some(format!("must start with {prefix:?}, got {s:?}")),
                None => Some("must be a string".into()),
            },
            Self::Base64 => {
                use base64::Engine as _;
                match value.as_str() {
                    Some(s) if base64::engine::general_purpose::STANDARD.decode(s).is_ok() => None,
                    _ => Some("must be base64-encoded (use base64encode())".into()),
                }
            }
            Self::Duration => match value.as_str().and_then(super::timeouts::parse_duration) {
                Some(_) => None,
                None => Some("must be a duration such as \"30s\", \"10m\" or \"1h30m\"".into()),
            },
        }
    }
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_out_of_range_are_named_with_the_range() {
        let msg = Validator::IntBetween(0, 65535)
            .check(&Value::from(99999_i64))
            .unwrap();
        assert_eq!(msg, "must be between 0 and 65535, got 99999");
        assert!(
            Validator::IntBetween(0, 65535)
                .check(&Value::from(80_i64))
                .is_none()
        );
    }

    #[test]
    fn one_of_lists_the_choices() {
        let msg = Validator::OneOf(&["required", "optional"])
            .check(&Value::from("sometimes"))
            .unwrap();
        assert!(msg.contains("\"required\", \"optional\""));
    }
}
