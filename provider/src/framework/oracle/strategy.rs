//! Generators for property tests, for any schema [`Block`]:
//!
//! - [`config`]: wholly known configurations that pass the attribute
//!   validators (nulls, nested blocks, collections), from small pools of
//!   values so that configs and prior states often agree;
//! - [`state`]: wholly known prior states;
//! - [`Dice`]: the choices made after proptest draws its inputs, over drawn
//!   bytes, so that every case is reproducible from its inputs. The values
//!   the dice derive from a case (a prior state close to the config, the
//!   config with unknowns, what the cloud reports) are in
//!   [`super::variations`].

use cty::{Type, Value};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;

use crate::framework::schema::{Attribute, Block, Mode, NestedBlock, Nesting};
use crate::framework::validators::Validator;

pub(super) const STRINGS: &[&str] = &[
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
pub(super) const NUMBERS: &[i64] = &[0, 1, 2, 5];
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
    /// One of `items`, which must not be empty.
    pub fn one_of<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.pick(items.len())]
    }
}

/// Sets the attribute `name` of an object, if the object has it (shaping
/// a generated configuration never adds attributes its schema lacks).
pub fn set_attr(object: &mut Value, name: &str, value: Value) {
    if let Value::Object(fields) = object
        && let Some(slot) = fields.get_mut(name)
    {
        *slot = value;
    }
}

/// The attribute `name` of an object, when it is set (not null), to shape
/// in place.
pub fn attr_mut<'v>(object: &'v mut Value, name: &str) -> Option<&'v mut Value> {
    match object {
        Value::Object(fields) => fields.get_mut(name).filter(|v| !v.is_null()),
        _ => None,
    }
}

pub(super) fn set_of(items: Vec<Value>) -> Value {
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
        Some(Validator::StartsWith(p)) => strings(vec![(*p).to_string(), format!("{p}1")]),
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
