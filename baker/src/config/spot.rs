//! `builder.spot_price` and `builder.spot_instance_types` (Packer's keys):
//! what they mean and the checks `validate` and `build` share.

use super::{BuilderConfig, Config};
use crate::error::Problem;

/// The market the builder is launched in, as `builder.spot_price` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpotPrice {
    /// `""`: on-demand (the default).
    OnDemand,
    /// `"auto"`: spot, paying up to the on-demand price (AWS's default
    /// maximum when none is given).
    Auto,
    /// A maximum price per instance-hour in USD, as written (`"0.05"`).
    Max(String),
}

impl SpotPrice {
    /// Parses the key's text; the error says what is accepted.
    pub fn parse(text: &str) -> Result<SpotPrice, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(SpotPrice::OnDemand);
        }
        if text.eq_ignore_ascii_case("auto") {
            return Ok(SpotPrice::Auto);
        }
        let digits = text.chars().all(|c| c.is_ascii_digit() || c == '.')
            && text.chars().filter(|c| *c == '.').count() <= 1
            && text.chars().any(|c| c.is_ascii_digit());
        match text.parse::<f64>() {
            Ok(price) if digits && price.is_finite() && price > 0.0 => {
                Ok(SpotPrice::Max(text.to_string()))
            }
            _ => Err(format!(
                "{text:?} is not a spot price: use \"\" (on-demand), \"auto\" (up to the \
                 on-demand price) or a maximum price per hour in USD such as \"0.05\""
            )),
        }
    }

    pub fn is_spot(&self) -> bool {
        !matches!(self, SpotPrice::OnDemand)
    }
}

/// The instance types the builder may be, in the order they are tried.
pub fn instance_types(builder: &BuilderConfig) -> Vec<String> {
    if builder.spot_instance_types.is_empty() {
        vec![builder.instance_type.clone()]
    } else {
        builder.spot_instance_types.clone()
    }
}

/// Every problem with the spot keys, by field.
pub fn check(config: &Config) -> Vec<Problem> {
    let builder = &config.builder;
    let mut problems = Vec::new();
    let price = SpotPrice::parse(&builder.spot_price);
    if let Err(message) = &price {
        problems.push(Problem::new("builder.spot_price", message.clone()));
    }
    let spot = price.as_ref().is_ok_and(SpotPrice::is_spot) || price.is_err();
    let types = &builder.spot_instance_types;
    if !types.is_empty() {
        if !spot {
            problems.push(Problem::new(
                "builder.spot_instance_types",
                "only works with builder.spot_price (\"auto\" or a maximum price)",
            ));
        }
        if builder.instance_type != BuilderConfig::default().instance_type {
            problems.push(Problem::new(
                "builder.spot_instance_types",
                format!(
                    "set builder.instance_type ({:?}) or builder.spot_instance_types, not both",
                    builder.instance_type
                ),
            ));
        }
        for (i, kind) in types.iter().enumerate() {
            if kind.is_empty() || !kind.contains('.') || kind.chars().any(char::is_whitespace) {
                problems.push(Problem::new(
                    "builder.spot_instance_types",
                    format!("{kind:?} is not an instance type (e.g. t3.micro)"),
                ));
            } else if types[..i].contains(kind) {
                problems.push(Problem::new(
                    "builder.spot_instance_types",
                    format!("{kind:?} is listed twice"),
                ));
            }
        }
    }
    if !builder.spot_fallback && !spot {
        problems.push(Problem::new(
            "builder.spot_fallback",
            "only works with builder.spot_price (\"auto\" or a maximum price)",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_as_documented() {
        assert_eq!(SpotPrice::parse(""), Ok(SpotPrice::OnDemand));
        assert_eq!(SpotPrice::parse("auto"), Ok(SpotPrice::Auto));
        assert_eq!(SpotPrice::parse("0.05"), Ok(SpotPrice::Max("0.05".into())));
        assert_eq!(SpotPrice::parse("2"), Ok(SpotPrice::Max("2".into())));
        for bad in ["cheap", "-1", "0", "0.0", "1e3", "1.2.3", ".", "NaN", "inf"] {
            assert!(SpotPrice::parse(bad).is_err(), "{bad}");
        }
    }

    fn fields(config: &Config) -> Vec<String> {
        check(config).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut config = Config::default();
        assert!(fields(&config).is_empty());
        config.builder.spot_price = "cheap".into();
        assert_eq!(fields(&config), vec!["builder.spot_price"]);

        let mut config = Config::default();
        config.builder.spot_instance_types = vec!["t3.small".into()];
        config.builder.spot_fallback = false;
        assert_eq!(
            fields(&config),
            vec!["builder.spot_instance_types", "builder.spot_fallback"]
        );

        config.builder.spot_price = "auto".into();
        config.builder.spot_fallback = true;
        assert!(fields(&config).is_empty());
        config.builder.instance_type = "m5.large".into();
        config.builder.spot_instance_types =
            vec!["t3.small".into(), "big".into(), "t3.small".into()];
        let problems = check(&config);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].message.contains("not both"), "{problems:?}");
        assert!(problems[1].message.contains("\"big\""), "{problems:?}");
        assert!(problems[2].message.contains("twice"), "{problems:?}");
    }

    #[test]
    fn the_types_tried_are_the_spot_list_or_the_instance_type() {
        let mut builder = BuilderConfig::default();
        assert_eq!(instance_types(&builder), vec!["t3.micro"]);
        builder.spot_instance_types = vec!["t3.small".into(), "t3a.small".into()];
        assert_eq!(instance_types(&builder), vec!["t3.small", "t3a.small"]);
    }
}
