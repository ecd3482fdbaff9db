//! `source.filters`, `source.most_recent` and `source.owners` (Packer's
//! `source_ami_filter { filters, most_recent, owners }`): which image the
//! builder boots from when `source.ami` is not given, and the checks
//! `validate` and `build` share.

use std::collections::BTreeMap;

use super::{Config, SourceConfig};
use crate::error::Problem;

/// The DescribeImages filters that choose the source image: `source.filters`
/// when given (they then say everything, as Packer's `source_ami_filter`
/// does), else `name` and `architecture` from `source.name` and
/// `source.architecture`; `state = available` unless a filter names the
/// state.
pub fn image_filters(source: &SourceConfig) -> BTreeMap<String, String> {
    let mut filters = if source.filters.is_empty() {
        let mut by_name = BTreeMap::from([("name".to_string(), source.name.clone())]);
        if !source.architecture.is_empty() {
            by_name.insert("architecture".into(), source.architecture.clone());
        }
        by_name
    } else {
        source.filters.clone()
    };
    filters
        .entry("state".into())
        .or_insert_with(|| "available".into());
    filters
}

/// `{name=value, …}`, for messages.
pub fn describe(filters: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

/// Every problem with the source keys beside `source.ami`, by field.
pub fn check(config: &Config) -> Vec<Problem> {
    let source = &config.source;
    let defaults = SourceConfig::default();
    let mut problems = Vec::new();
    if source.filters.is_empty() {
        return problems;
    }
    if !source.ami.is_empty() {
        problems.push(Problem::new(
            "source.filters",
            format!(
                "set source.ami ({:?}) or source.filters, not both: the id already names the image",
                source.ami
            ),
        ));
    }
    for (field, value, default) in [
        ("source.name", &source.name, &defaults.name),
        (
            "source.architecture",
            &source.architecture,
            &defaults.architecture,
        ),
    ] {
        if value != default && !value.is_empty() {
            let filter = field.trim_start_matches("source.");
            problems.push(Problem::new(
                field,
                format!(
                    "not together with source.filters, which then choose the image alone: \
                     add it as a filter (source.filters.{filter} = {value:?})"
                ),
            ));
        }
    }
    for (name, value) in &source.filters {
        let field = format!("source.filters.{name}");
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            problems.push(Problem::new(
                field,
                "is not a DescribeImages filter name (e.g. name, tag:Name, architecture, \
                 virtualization-type, root-device-type)",
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
    fn without_filters_the_name_and_architecture_choose() {
        let source = SourceConfig::default();
        let filters = image_filters(&source);
        assert_eq!(filters.get("name"), Some(&source.name));
        assert_eq!(filters.get("architecture"), Some(&source.architecture));
        assert_eq!(filters.get("state").map(String::as_str), Some("available"));
    }

    #[test]
    fn filters_replace_the_name_and_keep_a_state_given() {
        let mut config = Config::default();
        config
            .source
            .filters
            .insert("tag:base".into(), "web".into());
        config.source.filters.insert("state".into(), "*".into());
        let filters = image_filters(&config.source);
        assert_eq!(filters.len(), 2, "{filters:?}");
        assert_eq!(filters.get("state").map(String::as_str), Some("*"));
        assert!(check(&config).is_empty());

        config.source.ami = "ami-0abc".into();
        config.source.name = "mine-*".into();
        config.source.filters.insert("owner".into(), String::new());
        let fields: Vec<String> = check(&config).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec!["source.filters", "source.name", "source.filters.owner"]
        );
    }
}
