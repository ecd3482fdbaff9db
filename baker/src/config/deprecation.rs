//! `image.deprecate_at` (Packer's key): when the image and each of its
//! copies are deprecated, as one RFC 3339 time (`2027-06-30T00:00:00Z`, or
//! with an offset, `2027-06-30T02:00:00+02:00`). EnableImageDeprecation
//! accepts a time in the future, at most 10 years ahead (2 years for a
//! public image), and rounds it to the minute.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::Config;
use crate::error::Problem;

const FIELD: &str = "image.deprecate_at";
const DAY: i64 = 24 * 60 * 60;
/// 10 years, leap days not counted: a little short of AWS's limit.
const MAX_AHEAD: i64 = 10 * 365 * DAY;
/// 2 years for a public image (from its creation, which is later than now).
const MAX_AHEAD_PUBLIC: i64 = 2 * 365 * DAY;

/// The configured time; `None` when the key is empty.
pub fn parse(text: &str) -> Result<Option<DateTime>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    DateTime::from_str(text, Format::DateTimeWithOffset)
        .map(Some)
        .map_err(|_| format!("{text:?} is not an RFC 3339 time (e.g. 2027-06-30T00:00:00Z)"))
}

/// The problem with `image.deprecate_at` at `now` (Unix seconds), if any.
pub fn check_at(config: &Config, now: i64) -> Option<Problem> {
    let at = match parse(&config.image.deprecate_at) {
        Ok(Some(at)) => at,
        Ok(None) => return None,
        Err(message) => return Some(Problem::new(FIELD, message)),
    };
    let public = config.image.ami_groups.iter().any(|g| g == "all");
    let (limit, what) = if public {
        (
            MAX_AHEAD_PUBLIC,
            "2 years ahead for a public image (image.ami_groups = [\"all\"])",
        )
    } else {
        (MAX_AHEAD, "10 years ahead")
    };
    if at.secs() <= now {
        Some(Problem::new(
            FIELD,
            format!("{} is not in the future", config.image.deprecate_at.trim()),
        ))
    } else if at.secs() - now > limit {
        Some(Problem::new(
            FIELD,
            format!("{} is more than {what}", config.image.deprecate_at.trim()),
        ))
    } else {
        None
    }
}

/// [`check_at`] now.
pub fn check(config: &Config) -> Vec<Problem> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    check_at(config, now).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000; // 2027-01-15T08:00:00Z

    fn problem(value: &str, public: bool) -> Option<String> {
        let mut config = Config::default();
        config.image.deprecate_at = value.into();
        if public {
            config.image.ami_groups = vec!["all".into()];
        }
        check_at(&config, NOW).map(|p| {
            assert_eq!(p.field, FIELD);
            p.message
        })
    }

    #[test]
    fn empty_is_never() {
        assert_eq!(parse("  "), Ok(None));
        assert_eq!(problem("", false), None);
    }

    #[test]
    fn rfc_3339_with_z_or_an_offset() {
        let z = parse("2027-06-30T00:00:00Z").expect("parses").expect("set");
        let offset = parse("2027-06-30T02:00:00+02:00")
            .expect("parses")
            .expect("set");
        assert_eq!(z.secs(), offset.secs());
        assert_eq!(problem("2027-06-30T00:00:00Z", false), None);
    }

    #[test]
    fn unparseable_past_and_too_far_are_named() {
        for (value, public, expected) in [
            ("90d", false, "not an RFC 3339 time"),
            ("2027-06-30", false, "not an RFC 3339 time"),
            ("2020-01-01T00:00:00Z", false, "not in the future"),
            ("2040-01-01T00:00:00Z", false, "more than 10 years"),
            ("2030-01-01T00:00:00Z", true, "more than 2 years"),
        ] {
            let message = problem(value, public).unwrap_or_default();
            assert!(message.contains(expected), "{value}: {message}");
        }
        assert_eq!(problem("2030-01-01T00:00:00Z", false), None);
    }
}
