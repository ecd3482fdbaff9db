//! `builder.subnet_filter`, `builder.vpc_filter` and
//! `builder.subnet_filter_most_free` (Packer's `subnet_filter` / `vpc_filter`):
//! the text form of a filter map and the checks `validate` and `build` share.

use std::collections::BTreeMap;

use super::Config;
use crate::error::Problem;

/// `name=value,name=value` (the form of `BAKER_BUILDER_SUBNET_FILTER` and
/// `--set builder.subnet_filter=...`), as a map of EC2 filter name to value.
pub fn parse_filters(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut filters = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            format!("{pair:?} is not name=value (e.g. tag:Name=build,state=available)")
        })?;
        filters.insert(name.trim().to_string(), value.trim().to_string());
    }
    Ok(filters)
}

/// Every problem with the subnet and VPC filters, by field.
pub fn check(config: &Config) -> Vec<Problem> {
    let builder = &config.builder;
    let mut problems = Vec::new();
    let explicit = !builder.subnet_id.is_empty();
    for (table, filters) in [
        ("builder.subnet_filter", &builder.subnet_filter),
        ("builder.vpc_filter", &builder.vpc_filter),
    ] {
        if explicit && !filters.is_empty() {
            problems.push(Problem::new(
                table,
                format!(
                    "set builder.subnet_id ({:?}) or {table}, not both: the subnet id already \
                     decides the subnet and its VPC",
                    builder.subnet_id
                ),
            ));
        }
        for (name, value) in filters {
            let field = format!("{table}.{name}");
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                problems.push(Problem::new(
                    field,
                    "is not an EC2 filter name (e.g. tag:Name, vpc-id, availability-zone)",
                ));
            } else if value.is_empty() {
                problems.push(Problem::new(
                    field,
                    "needs a value to match (`*` and `?` are wildcards)",
                ));
            }
        }
    }
    if !builder.subnet_filter_most_free
        && builder.subnet_filter.is_empty()
        && builder.vpc_filter.is_empty()
    {
        problems.push(Problem::new(
            "builder.subnet_filter_most_free",
            "only works with builder.subnet_filter or builder.vpc_filter",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_text_is_name_value_pairs() {
        let filters = parse_filters("tag:Name=web, state=available").expect("parses");
        assert_eq!(filters.get("tag:Name").map(String::as_str), Some("web"));
        assert_eq!(filters.get("state").map(String::as_str), Some("available"));
        assert!(parse_filters("").expect("empty").is_empty());
        let err = parse_filters("tag:Name").expect_err("no value");
        assert!(err.contains("name=value"), "{err}");
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut config = Config::default();
        assert!(check(&config).is_empty());
        config.builder.subnet_id = "subnet-1".into();
        config
            .builder
            .subnet_filter
            .insert("tag:Name".into(), "web".into());
        config
            .builder
            .vpc_filter
            .insert("isDefault".into(), String::new());
        let fields: Vec<String> = check(&config).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "builder.subnet_filter",
                "builder.vpc_filter",
                "builder.vpc_filter.isDefault"
            ]
        );

        let mut config = Config::default();
        config.builder.subnet_filter_most_free = false;
        let fields: Vec<String> = check(&config).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["builder.subnet_filter_most_free"]);
        config
            .builder
            .vpc_filter
            .insert("tag:Name".into(), "build".into());
        assert!(check(&config).is_empty());
    }
}
