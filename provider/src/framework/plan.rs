//! Plan logic shared by every resource, in the order the user reads a plan:
//! defaults fill what the config leaves out, computed values that will
//! change become unknown, attributes that force a new resource are reported,
//! and the resource's own hook has the last word. Planned values never
//! contradict the configuration.

use std::collections::BTreeMap;

use cty::{Path, Value};

use super::schema::{Block, Nesting};

/// What PlanResourceChange decided.
#[derive(Debug, Clone)]
pub struct Plan {
    pub planned: Value,
    pub requires_replace: Vec<Path>,
}

/// Plans the new state of one resource from Terraform's proposed new state.
pub fn plan(block: &Block, prior: &Value, config: &Value, proposed: &Value) -> Plan {
    if proposed.is_null() {
        return Plan {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let mut planned = proposed.clone();
    apply_defaults(block, config, &mut planned);

    if prior.is_null() {
        mark_unset_computed_unknown(block, config, &mut planned, true);
        return Plan {
            planned,
            requires_replace: Vec::new(),
        };
    }

    let requires_replace = replacement_paths(block, prior, &planned);
    if !planned.semantic_eq(prior) {
        let replacing = !requires_replace.is_empty();
        mark_unset_computed_unknown(block, config, &mut planned, replacing);
    }
    Plan {
        planned,
        requires_replace,
    }
}

/// Sets each defaulted attribute the config leaves null, in nested blocks too.
pub fn apply_defaults(block: &Block, config: &Value, planned: &mut Value) {
    let Value::Object(fields) = planned else {
        return;
    };
    for attr in &block.attributes {
        let Some(default) = &attr.default else {
            continue;
        };
        if config.get_attr(attr.name).is_none_or(Value::is_null) {
            fields.insert(attr.name.to_string(), default.clone());
        }
    }
    for nested in &block.blocks {
        let config_value = config.get_attr(nested.name).cloned().unwrap_or(Value::Null);
        let Some(value) = fields.get_mut(nested.name) else {
            continue;
        };
        match (nested.nesting, value) {
            (Nesting::Single, v @ Value::Object(_)) => {
                apply_defaults(&nested.block, &config_value, v)
            }
            (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
                let configs = config_value.as_elements().unwrap_or(&[]).to_vec();
                for (i, item) in items.iter_mut().enumerate() {
                    let c = configs.get(i).cloned().unwrap_or(Value::Null);
                    apply_defaults(&nested.block, &c, item);
                }
            }
            _ => {}
        }
    }
}

/// What a data source is planned to read before it can be read: the
/// configuration with its defaults, every computed attribute it does not set
/// unknown (as Terraform plans a data source it must read during apply).
pub fn unread_data(block: &Block, config: &Value) -> Value {
    let mut planned = config.clone();
    apply_defaults(block, config, &mut planned);
    mark_unset_computed_unknown(block, config, &mut planned, true);
    planned
}

/// Computed attributes the config does not set become unknown: on create,
/// on replacement, and on update unless the attribute is marked stable.
fn mark_unset_computed_unknown(block: &Block, config: &Value, planned: &mut Value, all: bool) {
    let Value::Object(fields) = planned else {
        return;
    };
    for attr in block.attributes.iter().filter(|a| a.is_computed()) {
        if attr.default.is_some() || (attr.stable && !all) {
            continue;
        }
        let configured = config.get_attr(attr.name).is_some_and(|v| !v.is_null());
        if !configured {
            fields.insert(attr.name.to_string(), Value::Unknown);
        }
    }
}

/// Paths of replace-forcing attributes and blocks whose value changes or may
/// change: a value that is unknown at plan time (a name interpolating the id
/// of a resource being replaced) forces replacement too, as Terraform only
/// lets a final plan turn an unknown into a known value, never an update
/// into a replacement.
fn replacement_paths(block: &Block, prior: &Value, planned: &Value) -> Vec<Path> {
    let differs = |name: &str| {
        let before = prior.get_attr(name).unwrap_or(&Value::Null);
        let after = planned.get_attr(name).unwrap_or(&Value::Null);
        !after.is_wholly_known() || !after.semantic_eq(before)
    };
    let attrs = block
        .attributes
        .iter()
        .filter(|a| a.requires_replace)
        .map(|a| a.name);
    let blocks = block
        .blocks
        .iter()
        .filter(|b| b.requires_replace)
        .map(|b| b.name);
    attrs
        .chain(blocks)
        .filter(|name| differs(name))
        .map(|name| Path::root().attr(name))
        .collect()
}

/// Replaces values the user did not write and the cloud reports as empty
/// with what the prior state had, so that `null` and `{}` / `[]` do not show
/// as a difference after every refresh.
pub fn keep_empty_as_before(block: &Block, prior: &Value, read: &mut Value) {
    let Value::Object(fields) = read else {
        return;
    };
    for attr in &block.attributes {
        let before = prior.get_attr(attr.name).unwrap_or(&Value::Null);
        if let Some(now) = fields.get_mut(attr.name)
            && is_empty(now)
            && is_empty(before)
        {
            *now = before.clone();
        }
    }
}

fn is_empty(v: &Value) -> bool {
    v.is_null()
        || v.as_elements().is_some_and(<[Value]>::is_empty)
        || v.as_map().is_some_and(BTreeMap::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{Attribute, NestedBlock};
    use cty::Type;

    fn block() -> Block {
        Block::new("test")
            .attribute(Attribute::computed("id", Type::String).stable())
            .attribute(Attribute::computed("version", Type::Number))
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(Attribute::optional("image", Type::String))
            .attribute(Attribute::defaulted("mode", Type::String, "required"))
            .block(NestedBlock::single(
                "opts",
                Block::new("o").attribute(Attribute::defaulted("tokens", Type::String, "required")),
            ))
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().cloned().map(|(k, v)| (k.to_string(), v)))
    }

    #[test]
    fn create_fills_defaults_and_leaves_computed_unknown() {
        let config = obj(&[
            ("id", Value::Null),
            ("version", Value::Null),
            ("name", "a".into()),
            ("image", "ami-1".into()),
            ("mode", Value::Null),
            ("opts", obj(&[("tokens", Value::Null)])),
        ]);
        let p = plan(&block(), &Value::Null, &config, &config);
        assert!(p.planned.get_attr("id").unwrap().is_unknown());
        assert!(p.planned.get_attr("version").unwrap().is_unknown());
        assert_eq!(
            p.planned.get_attr("mode").unwrap().as_str(),
            Some("required")
        );
        let opts = p.planned.get_attr("opts").unwrap();
        assert_eq!(opts.get_attr("tokens").unwrap().as_str(), Some("required"));
    }

    #[test]
    fn update_keeps_stable_ids_and_replacement_is_reported() {
        let prior = obj(&[
            ("id", "x-1".into()),
            ("version", Value::from(1_i64)),
            ("name", "a".into()),
            ("image", "ami-1".into()),
            ("mode", "required".into()),
            ("opts", Value::Null),
        ]);
        let mut config = prior.clone();
        if let Value::Object(f) = &mut config {
            f.insert("id".into(), Value::Null);
            f.insert("version".into(), Value::Null);
            f.insert("image".into(), "ami-2".into());
        }
        let mut proposed = config.clone();
        if let Value::Object(f) = &mut proposed {
            f.insert("id".into(), "x-1".into());
            f.insert("version".into(), Value::from(1_i64));
        }
        let p = plan(&block(), &prior, &config, &proposed);
        assert_eq!(p.planned.get_attr("id").unwrap().as_str(), Some("x-1"));
        assert!(p.planned.get_attr("version").unwrap().is_unknown());
        assert!(p.requires_replace.is_empty());

        if let Value::Object(f) = &mut proposed {
            f.insert("name".into(), "b".into());
        }
        let p = plan(&block(), &prior, &config, &proposed);
        assert_eq!(p.requires_replace, vec![Path::root().attr("name")]);
        assert!(p.planned.get_attr("id").unwrap().is_unknown());
    }

    #[test]
    fn an_unknown_replace_forcing_value_plans_a_replacement() {
        let prior = obj(&[
            ("id", "x-1".into()),
            ("version", Value::from(1_i64)),
            ("name", "a".into()),
            ("image", Value::Null),
            ("mode", "required".into()),
            ("opts", Value::Null),
        ]);
        let mut config = prior.clone();
        if let Value::Object(f) = &mut config {
            f.insert("id".into(), Value::Null);
            f.insert("version".into(), Value::Null);
            f.insert("name".into(), Value::Unknown);
        }
        let mut proposed = prior.clone();
        if let Value::Object(f) = &mut proposed {
            f.insert("name".into(), Value::Unknown);
        }
        let p = plan(&block(), &prior, &config, &proposed);
        assert_eq!(p.requires_replace, vec![Path::root().attr("name")]);
        assert!(p.planned.get_attr("id").unwrap().is_unknown());
    }

    #[test]
    fn unchanged_resource_plans_exactly_the_prior_state() {
        let prior = obj(&[
            ("id", "x-1".into()),
            ("version", Value::from(1_i64)),
            ("name", "a".into()),
            ("image", Value::Null),
            ("mode", "required".into()),
            ("opts", Value::Null),
        ]);
        let p = plan(&block(), &prior, &prior, &prior);
        assert!(p.planned.semantic_eq(&prior));
    }
}
