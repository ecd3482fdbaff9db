//! For property tests: a configuration drawn attribute by attribute from
//! the schema, shaped toward the rules `validate` checks across attributes:
//! one default action (the dice choose among the drawn blocks), a fixed
//! response's status code, target groups listed once each, and a
//! certificate for HTTPS only.

use cty::Value;

use crate::framework::{Dice, attr_mut, set_attr};

const ACTIONS: [&str; 3] = ["forward", "fixed_response", "redirect"];
const STATUS_CODES: &[&str] = &["200", "404", "503"];
const CERTIFICATE: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/web";

pub fn shape(config: &mut Value, dice: &mut Dice<'_>) {
    let drawn: Vec<&str> = ACTIONS
        .into_iter()
        .filter(|name| config.get_attr(name).is_some_and(|v| !v.is_null()))
        .collect();
    if !drawn.is_empty() {
        let kept = *dice.one_of(&drawn);
        for name in drawn.iter().filter(|name| **name != kept) {
            set_attr(config, name, Value::Null);
        }
    }
    if let Some(fixed) = attr_mut(config, "fixed_response") {
        set_attr(fixed, "status_code", (*dice.one_of(STATUS_CODES)).into());
    }
    if let Some(groups) = attr_mut(config, "forward").and_then(|f| attr_mut(f, "target_group"))
        && let Value::List(groups) = groups
    {
        let mut seen: Vec<String> = Vec::new();
        for (i, group) in groups.iter_mut().enumerate() {
            let Some(arn) = group.get_attr("arn").and_then(Value::as_str) else {
                continue;
            };
            let mut arn = arn.to_string();
            if seen.contains(&arn) {
                arn = format!("{arn}-{i}");
                set_attr(group, "arn", arn.as_str().into());
            }
            seen.push(arn);
        }
    }
    let https = config.get_attr("protocol").and_then(Value::as_str) == Some("HTTPS");
    let certified = config
        .get_attr("certificate_arn")
        .is_some_and(|v| !v.is_null());
    if https && !certified {
        set_attr(config, "certificate_arn", CERTIFICATE.into());
    } else if !https {
        set_attr(config, "certificate_arn", Value::Null);
        set_attr(config, "ssl_policy", Value::Null);
    }
}
