//! `builder.security_group_ids` / `builder.security_group_filter` (Packer's
//! keys): existing security groups for the builder instead of a temporary
//! one, and the checks `validate` and `build` share.

use super::Config;
use crate::error::Problem;

/// EC2 allows at most this many security groups on an instance's network
/// interface (VPC user guide, "Amazon VPC quotas": 5 by default, 16 at most).
pub const MAX_GROUPS: usize = 16;

/// Whether the builder uses existing groups (so none is created or deleted).
pub fn uses_existing(config: &Config) -> bool {
    !config.builder.security_group_ids.is_empty()
        || !config.builder.security_group_filter.is_empty()
}

/// Every problem with the two keys.
pub fn check(config: &Config) -> Vec<Problem> {
    let builder = &config.builder;
    let mut problems = Vec::new();
    if !builder.security_group_ids.is_empty() && !builder.security_group_filter.is_empty() {
        problems.push(Problem::new(
            "builder.security_group_filter",
            "set builder.security_group_ids or builder.security_group_filter, not both",
        ));
    }
    let ids = &builder.security_group_ids;
    for (i, id) in ids.iter().enumerate() {
        let hex = id.strip_prefix("sg-").unwrap_or_default();
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            problems.push(Problem::new(
                "builder.security_group_ids",
                format!("{id:?} is not a security group id (sg-…)"),
            ));
        } else if ids[..i].contains(id) {
            problems.push(Problem::new(
                "builder.security_group_ids",
                format!("{id:?} is listed twice"),
            ));
        }
    }
    if ids.len() > MAX_GROUPS {
        problems.push(Problem::new(
            "builder.security_group_ids",
            format!(
                "{} groups: an instance takes at most {MAX_GROUPS}",
                ids.len()
            ),
        ));
    }
    for (name, value) in &builder.security_group_filter {
        let field = format!("builder.security_group_filter.{name}");
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            problems.push(Problem::new(
                field,
                "is not an EC2 filter name (e.g. tag:Name, group-name, vpc-id)",
            ));
        } else if value.is_empty() {
            problems.push(Problem::new(
                field,
                "needs a value to match (`*` and `?` are wildcards)",
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_filters_are_checked_by_field() {
        let mut config = Config::default();
        assert!(!uses_existing(&config));
        config.builder.security_group_ids = vec!["sg-0abc".into(), "web".into(), "sg-0abc".into()];
        config
            .builder
            .security_group_filter
            .insert("tag:Name".into(), String::new());
        assert!(uses_existing(&config));
        let fields: Vec<String> = check(&config).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "builder.security_group_filter",
                "builder.security_group_ids",
                "builder.security_group_ids",
                "builder.security_group_filter.tag:Name",
            ]
        );
    }
}
