//! Values derived from a case by the [`Dice`]:
//!
//! - [`blur`]: the configuration as core sees it before apply, with some
//!   values unknown (whole attributes, collection elements, dynamic blocks
//!   over an unknown collection);
//! - [`prior_from`]: a wholly known prior state, mostly close to the
//!   configuration;
//! - [`fill`] and [`disturb`]: what the cloud could report after an apply.

use std::collections::BTreeMap;

use cty::{Type, Value};

use super::part;
use super::strategy::{Dice, NUMBERS, STRINGS, set_of};
use crate::framework::schema::{Block, Mode, Nesting};

/// A prior state mostly agreeing with the wholly known `config`: each
/// configured value is kept or taken from the unrelated state `other`;
/// computed values come from `other`, defaults mostly stay.
pub fn prior_from(block: &Block, config: &Value, other: &Value, dice: &mut Dice<'_>) -> Value {
    let mut fields = BTreeMap::new();
    for attr in &block.attributes {
        let (c, o) = (part(config, attr.name), part(other, attr.name));
        let value = match (&attr.default, attr.mode) {
            (_, Mode::Computed) => o,
            (Some(d), _) if c.is_null() && !dice.one_in(3) => d.clone(),
            (_, Mode::OptionalComputed) if c.is_null() => o,
            _ if dice.one_in(3) => o,
            _ => c,
        };
        fields.insert(attr.name.to_string(), value);
    }
    for nested in &block.blocks {
        let (c, o) = (part(config, nested.name), part(other, nested.name));
        let value = if dice.one_in(5) {
            o
        } else {
            match nested.nesting {
                Nesting::Single if c.is_null() => c,
                Nesting::Single => prior_from(&nested.block, &c, &o, dice),
                Nesting::List | Nesting::Set => {
                    let others = o.as_elements().unwrap_or(&[]);
                    let mut items: Vec<Value> = c
                        .as_elements()
                        .unwrap_or(&[])
                        .iter()
                        .enumerate()
                        .map(|(i, ci)| {
                            let oi = others.get(i).cloned().unwrap_or(Value::Null);
                            prior_from(&nested.block, ci, &oi, dice)
                        })
                        .collect();
                    if !items.is_empty() && dice.one_in(4) {
                        items.pop();
                    }
                    if nested.nesting == Nesting::Set {
                        set_of(items)
                    } else {
                        Value::List(items)
                    }
                }
            }
        };
        fields.insert(nested.name.to_string(), value);
    }
    Value::Object(fields)
}

/// The configuration with some values not known yet.
pub fn blur(block: &Block, config: &Value, dice: &mut Dice<'_>) -> Value {
    let Value::Object(fields) = config else {
        return config.clone();
    };
    let mut out = fields.clone();
    for attr in block.attributes.iter().filter(|a| a.mode != Mode::Computed) {
        let v = part(config, attr.name);
        let blurred = if dice.one_in(6) {
            Value::Unknown
        } else if dice.one_in(3) {
            blur_element(&v, dice)
        } else {
            v
        };
        out.insert(attr.name.to_string(), blurred);
    }
    for nested in &block.blocks {
        let v = part(config, nested.name);
        let blurred = match (nested.nesting, &v) {
            (Nesting::Single, _) => blur(&nested.block, &v, dice),
            (Nesting::List | Nesting::Set, _) if dice.one_in(10) => Value::Unknown,
            (Nesting::List, Value::List(items)) => {
                Value::List(items.iter().map(|i| blur(&nested.block, i, dice)).collect())
            }
            (Nesting::Set, Value::Set(items)) => {
                Value::Set(items.iter().map(|i| blur(&nested.block, i, dice)).collect())
            }
            _ => v,
        };
        out.insert(nested.name.to_string(), blurred);
    }
    Value::Object(out)
}

/// A collection with one of its elements unknown.
fn blur_element(v: &Value, dice: &mut Dice<'_>) -> Value {
    match v {
        Value::List(items) | Value::Set(items) if !items.is_empty() => {
            let mut items = items.clone();
            let i = dice.pick(items.len());
            items[i] = Value::Unknown;
            if matches!(v, Value::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            }
        }
        Value::Map(entries) if !entries.is_empty() => {
            let mut entries = entries.clone();
            let keys: Vec<String> = entries.keys().cloned().collect();
            let key = keys[dice.pick(keys.len())].clone();
            entries.insert(key, Value::Unknown);
            Value::Map(entries)
        }
        _ => v.clone(),
    }
}

/// Some known value of `ty`.
pub fn arbitrary(ty: &Type, dice: &mut Dice<'_>) -> Value {
    match ty {
        Type::Bool => Value::Bool(dice.one_in(2)),
        Type::Number => Value::from(NUMBERS[dice.pick(NUMBERS.len())]),
        Type::String => Value::from(STRINGS[dice.pick(STRINGS.len())]),
        Type::List(t) | Type::Set(t) => {
            let items = if dice.one_in(2) {
                Vec::new()
            } else {
                vec![arbitrary(t, dice)]
            };
            if matches!(ty, Type::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            }
        }
        Type::Map(t) => {
            if dice.one_in(2) {
                Value::Map(BTreeMap::new())
            } else {
                Value::map([("Name", arbitrary(t, dice))])
            }
        }
        Type::Object(attrs) => Value::Object(
            attrs
                .iter()
                .map(|(k, t)| {
                    let v = if dice.one_in(4) {
                        Value::Null
                    } else {
                        arbitrary(t, dice)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Type::Tuple(types) => Value::Tuple(types.iter().map(|t| arbitrary(t, dice)).collect()),
        Type::Dynamic => Value::Null,
    }
}

/// `v` with each unknown part replaced by a known value of its type.
pub fn fill(v: &Value, ty: &Type, dice: &mut Dice<'_>) -> Value {
    match (v, ty) {
        (Value::Unknown, _) => arbitrary(ty, dice),
        (Value::List(items), Type::List(t)) => {
            Value::List(items.iter().map(|i| fill(i, t, dice)).collect())
        }
        (Value::Set(items), Type::Set(t)) => {
            set_of(items.iter().map(|i| fill(i, t, dice)).collect())
        }
        (Value::Map(entries), Type::Map(t)) => Value::Map(
            entries
                .iter()
                .map(|(k, i)| (k.clone(), fill(i, t, dice)))
                .collect(),
        ),
        (Value::Object(fields), Type::Object(attrs)) => Value::Object(
            attrs
                .iter()
                .map(|(k, t)| {
                    let i = fields.get(k).cloned().unwrap_or(Value::Null);
                    (k.clone(), fill(&i, t, dice))
                })
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// What the cloud may report for values the user owns: some other value,
/// or nothing (a setting AWS does not store, a normalised spelling).
pub fn disturb(block: &Block, cloud: &Value, dice: &mut Dice<'_>) -> Value {
    let Value::Object(fields) = cloud else {
        return cloud.clone();
    };
    let mut out = fields.clone();
    for attr in &block.attributes {
        let user_owned =
            matches!(attr.mode, Mode::Required | Mode::Optional) || attr.default.is_some();
        if user_owned && dice.one_in(2) {
            let other = if dice.one_in(3) {
                Value::Null
            } else {
                arbitrary(&attr.ty, dice)
            };
            out.insert(attr.name.to_string(), other);
        }
    }
    for nested in &block.blocks {
        if dice.one_in(3) {
            let other = match nested.nesting {
                Nesting::Single => Value::Null,
                Nesting::List => Value::List(Vec::new()),
                Nesting::Set => Value::Set(Vec::new()),
            };
            out.insert(nested.name.to_string(), other);
        }
    }
    Value::Object(out)
}
