//! Terraform's "proposed new state": what core sends to PlanResourceChange
//! besides the prior state and the config. Configured values come from the
//! config; a computed attribute the config leaves null keeps its prior
//! value; nested blocks are paired with their prior blocks (by index for
//! lists, by their non-computed values for sets) and merged the same way.

use std::collections::BTreeMap;

use cty::Value;

use super::part;
use crate::framework::schema::{Block, Mode, NestedBlock, Nesting};

/// The proposed new state of a resource with state `prior` (null on create)
/// and configuration `config` (null on destroy).
pub fn proposed_new(block: &Block, prior: &Value, config: &Value) -> Value {
    if config.is_null() && prior.is_null() {
        return Value::Null;
    }
    let prior = if prior.is_null() {
        empty_object(block)
    } else {
        prior.clone()
    };
    merge_object(block, &prior, config)
}

/// The value of a block with nothing set: null attributes, no nested blocks.
fn empty_object(block: &Block) -> Value {
    let attrs = block
        .attributes
        .iter()
        .map(|a| (a.name.to_string(), Value::Null));
    let blocks = block.blocks.iter().map(|b| {
        let empty = match b.nesting {
            Nesting::Single => Value::Null,
            Nesting::List => Value::List(Vec::new()),
            Nesting::Set => Value::Set(Vec::new()),
        };
        (b.name.to_string(), empty)
    });
    Value::Object(attrs.chain(blocks).collect())
}

fn merge_object(block: &Block, prior: &Value, config: &Value) -> Value {
    if config.is_null() || config.is_unknown() {
        return prior.clone();
    }
    let mut fields = BTreeMap::new();
    for attr in &block.attributes {
        let c = part(config, attr.name);
        let value = if attr.is_computed() && c.is_null() {
            part(prior, attr.name)
        } else {
            c
        };
        fields.insert(attr.name.to_string(), value);
    }
    for nested in &block.blocks {
        let merged = merge_nested(
            nested,
            &part(prior, nested.name),
            &part(config, nested.name),
        );
        fields.insert(nested.name.to_string(), merged);
    }
    Value::Object(fields)
}

fn merge_nested(nested: &NestedBlock, prior: &Value, config: &Value) -> Value {
    // A dynamic block over a collection not known yet.
    if config.is_unknown() {
        return Value::Unknown;
    }
    let configs = config.as_elements().unwrap_or(&[]);
    match nested.nesting {
        Nesting::Single if config.is_null() => Value::Null,
        Nesting::Single => proposed_new(&nested.block, prior, config),
        Nesting::List => {
            let priors = prior.as_elements().unwrap_or(&[]);
            Value::List(
                configs
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match priors.get(i) {
                        Some(p) if !p.is_null() => proposed_new(&nested.block, p, c),
                        _ => c.clone(),
                    })
                    .collect(),
            )
        }
        Nesting::Set => {
            let priors = prior.as_elements().unwrap_or(&[]);
            let keys: Vec<Value> = priors
                .iter()
                .map(|p| without_computed(&nested.block, p))
                .collect();
            let mut used = vec![false; priors.len()];
            Value::Set(
                configs
                    .iter()
                    .map(|c| {
                        let paired =
                            (0..priors.len()).find(|&i| !used[i] && keys[i].semantic_eq(c));
                        match paired {
                            Some(i) => {
                                used[i] = true;
                                proposed_new(&nested.block, &priors[i], c)
                            }
                            None => proposed_new(&nested.block, &Value::Null, c),
                        }
                    })
                    .collect(),
            )
        }
    }
}

/// A prior set element as it compares with config elements: computed
/// attributes (which the config cannot have set) blanked out.
fn without_computed(block: &Block, v: &Value) -> Value {
    let Value::Object(fields) = v.unwrap_dynamic() else {
        return v.clone();
    };
    let mut out = fields.clone();
    for attr in &block.attributes {
        if matches!(attr.mode, Mode::Computed | Mode::OptionalComputed) {
            out.insert(attr.name.to_string(), Value::Null);
        }
    }
    for nested in &block.blocks {
        let inner = part(v, nested.name);
        let blanked = match (nested.nesting, inner.as_elements()) {
            (Nesting::Single, _) => without_computed(&nested.block, &inner),
            (Nesting::List, Some(items)) => Value::List(
                items
                    .iter()
                    .map(|i| without_computed(&nested.block, i))
                    .collect(),
            ),
            (Nesting::Set, Some(items)) => Value::Set(
                items
                    .iter()
                    .map(|i| without_computed(&nested.block, i))
                    .collect(),
            ),
            _ => inner,
        };
        out.insert(nested.name.to_string(), blanked);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Attribute;
    use cty::Type;

    fn block() -> Block {
        Block::new("t")
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::optional_computed("size", Type::Number))
            .attribute(Attribute::optional("label", Type::String))
            .block(NestedBlock::list(
                "rule",
                Block::new("r")
                    .attribute(Attribute::required("port", Type::Number))
                    .attribute(Attribute::computed("rule_id", Type::String)),
            ))
    }

    #[test]
    fn config_wins_and_computed_values_are_carried_over() {
        let prior = Value::object([
            ("id", Value::from("x-1")),
            ("size", 3_i64.into()),
            ("label", "old".into()),
            (
                "rule",
                Value::list([Value::object([
                    ("port", 80_i64.into()),
                    ("rule_id", "r-1".into()),
                ])]),
            ),
        ]);
        let config = Value::object([
            ("id", Value::Null),
            ("size", Value::Null),
            ("label", Value::Null),
            (
                "rule",
                Value::list([
                    Value::object([("port", 81_i64.into()), ("rule_id", Value::Null)]),
                    Value::object([("port", 82_i64.into()), ("rule_id", Value::Null)]),
                ]),
            ),
        ]);
        let p = proposed_new(&block(), &prior, &config);
        assert_eq!(p.get_attr("id").unwrap().as_str(), Some("x-1"));
        assert_eq!(p.get_attr("size").unwrap().as_i64(), Some(3));
        assert!(p.get_attr("label").unwrap().is_null());
        let rules = p.get_attr("rule").unwrap().as_elements().unwrap();
        assert_eq!(rules[0].get_attr("rule_id").unwrap().as_str(), Some("r-1"));
        assert_eq!(rules[0].get_attr("port").unwrap().as_i64(), Some(81));
        assert!(rules[1].get_attr("rule_id").unwrap().is_null());
    }

    #[test]
    fn create_starts_from_an_empty_object() {
        let config = Value::object([("label", Value::Unknown), ("rule", Value::Unknown)]);
        let p = proposed_new(&block(), &Value::Null, &config);
        assert!(p.get_attr("id").unwrap().is_null());
        assert!(p.get_attr("label").unwrap().is_unknown());
        assert!(p.get_attr("rule").unwrap().is_unknown());
        assert!(proposed_new(&block(), &Value::Null, &Value::Null).is_null());
    }
}
