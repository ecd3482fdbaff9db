//! Generators for property tests, for any schema [`Block`]:
//!
//! - [`config`]: wholly known configurations that pass the attribute
//!   validators (nulls, nested blocks, collections), from small pools of
//!   values so that configs and prior states often agree;
//! - [`blur`]: the same configuration as core sees it before apply, with
//!   some values unknown (whole attributes, collection elements, dynamic
//!   blocks over an unknown collection);
//! - [`state`] and [`prior_from`]: wholly known prior states, mostly close
//!   to the configuration;
//! - [`fill`] and [`disturb`]: what the cloud could report after an apply.
//!
//! Choices made after proptest draws its inputs come from a [`Dice`] over
//! drawn bytes, so every case is reproducible from its inputs.

use std::collections::BTreeMap;

use cty::{Type, Value};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;

use super::part;
use crate::framework::schema::{Attribute, Block, Mode, NestedBlock, Nesting};
use crate::framework::validators::Validator;

const STRINGS: &[&str] = &[
    "a",
    "web",
    "1",
    "2",
    "tcp",
    "arn:aws:iam::aws:policy/P",
    "10.0.0.0/16",
    "sg-1",
    "subnet-1",
    "subnet-2",
];
const NUMBERS: &[i64] = &[0, 1, 2, 5];
const KEYS: &[&str] = &["Name", "env", "team"];

/// Choices drawn from a fixed run of bytes.
pub struct Dice<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Dice<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }
    fn next(&mut self) -> usize {
        let n = self.bytes.len().max(1);
        let round = self.at / n;
        let byte = self.bytes.get(self.at % n).copied().unwrap_or(0);
        self.at += 1;
        usize::from(byte) + round * 7
    }
    pub fn one_in(&mut self, n: usize) -> bool {
        self.next().is_multiple_of(n.max(1))
    }
    pub fn pick(&mut self, n: usize) -> usize {
        self.next() % n.max(1)
    }
}

fn set_of(items: Vec<Value>) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.iter().any(|o| o.semantic_eq(&item)) {
            out.push(item);
        }
    }
    Value::Set(out)
}

fn object(parts: Vec<BoxedStrategy<(String, Value)>>) -> BoxedStrategy<Value> {
    parts
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
        .boxed()
}

/// Any known value of `ty`.
pub fn known_of_type(ty: &Type) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::from).boxed(),
        Type::Number => select(NUMBERS).prop_map(Value::from).boxed(),
        Type::String => select(STRINGS).prop_map(Value::from).boxed(),
        Type::List(t) => vec(known_of_type(t), 0..3).prop_map(Value::List).boxed(),
        Type::Set(t) => vec(known_of_type(t), 0..3).prop_map(set_of).boxed(),
        Type::Map(t) => btree_map(
            select(KEYS).prop_map(str::to_string),
            known_of_type(t),
            0..3,
        )
        .prop_map(Value::Map)
        .boxed(),
        Type::Object(attrs) => object(
            attrs
                .iter()
                .map(|(name, t)| {
                    let name = name.clone();
                    prop_oneof![1 => Just(Value::Null), 3 => known_of_type(t)]
                        .prop_map(move |v| (name.clone(), v))
                        .boxed()
                })
                .collect(),
        ),
        Type::Tuple(types) => types
            .iter()
            .map(known_of_type)
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Dynamic => Just(Value::Null).boxed(),
    }
}

/// A known value of the attribute that its validators accept.
fn valid_value(attr: &Attribute) -> BoxedStrategy<Value> {
    let strings = |items: Vec<String>| select(items).prop_map(Value::from).boxed();
    let base = match attr.validators.first() {
        None => known_of_type(&attr.ty),
        Some(Validator::IntBetween(lo, hi)) => {
            let (lo, hi) = (*lo, *hi);
            select(vec![lo, (lo + 1).min(hi), (lo + 2).min(hi), hi])
                .prop_map(Value::from)
                .boxed()
        }
        Some(Validator::OneOf(items)) => strings(items.iter().map(|s| s.to_string()).collect()),
        Some(Validator::LengthBetween(lo, hi)) => {
            let mut fits: Vec<String> = STRINGS
                .iter()
                .filter(|s| (*lo..=*hi).contains(&s.chars().count()))
                .map(|s| s.to_string())
                .collect();
            fits.push("x".repeat(*lo));
            strings(fits)
        }
        Some(Validator::Prefix(p)) => strings(vec![format!("{p}1"), format!("{p}2")]),
        Some(Validator::Base64) => strings(vec!["aGVsbG8=".into(), "d29ybGQ=".into()]),
        Some(Validator::Duration) => strings(vec!["30s".into(), "10m".into(), "1h".into()]),
    };
    let validators = attr.validators.clone();
    base.prop_filter("attribute validators", move |v| {
        validators.iter().all(|x| x.check(v).is_none())
    })
    .boxed()
}

fn named(name: &'static str, s: BoxedStrategy<Value>) -> BoxedStrategy<(String, Value)> {
    s.prop_map(move |v| (name.to_string(), v)).boxed()
}

fn nested_values(nested: &NestedBlock, inner: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let lo = usize::try_from(nested.min_items.clamp(0, 2)).unwrap_or(0);
    let hi = if nested.max_items > 0 {
        usize::try_from(nested.max_items.min(2)).unwrap_or(2)
    } else {
        2
    }
    .max(lo);
    match nested.nesting {
        Nesting::Single if nested.min_items >= 1 => inner,
        Nesting::Single => prop_oneof![1 => Just(Value::Null), 2 => inner].boxed(),
        Nesting::List => vec(inner, lo..=hi).prop_map(Value::List).boxed(),
        Nesting::Set => vec(inner, lo..=hi).prop_map(set_of).boxed(),
    }
}

/// Wholly known configurations of `block`: computed-only attributes null,
/// required ones set, optional ones either way.
pub fn config(block: &Block) -> BoxedStrategy<Value> {
    let attrs = block.attributes.iter().map(|attr| {
        let value = match attr.mode {
            Mode::Required => valid_value(attr),
            Mode::Optional | Mode::OptionalComputed => {
                prop_oneof![1 => Just(Value::Null), 2 => valid_value(attr)].boxed()
            }
            Mode::Computed => Just(Value::Null).boxed(),
        };
        named(attr.name, value)
    });
    let blocks = block
        .blocks
        .iter()
        .map(|nested| named(nested.name, nested_values(nested, config(&nested.block))));
    object(attrs.chain(blocks).collect())
}

/// Wholly known states of `block`, computed values included.
pub fn state(block: &Block) -> BoxedStrategy<Value> {
    let attrs = block.attributes.iter().map(|attr| {
        let value = match (attr.mode, &attr.default) {
            (Mode::Required, _) => valid_value(attr),
            (_, Some(default)) => {
                prop_oneof![1 => Just(default.clone()), 1 => valid_value(attr), 1 => Just(Value::Null)]
                    .boxed()
            }
            _ => prop_oneof![1 => Just(Value::Null), 2 => valid_value(attr)].boxed(),
        };
        named(attr.name, value)
    });
    let blocks = block
        .blocks
        .iter()
        .map(|nested| named(nested.name, nested_values(nested, state(&nested.block))));
    object(attrs.chain(blocks).collect())
}

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
