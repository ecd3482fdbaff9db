//! Set membership as cty decides it: each distinct element once.
//!
//! cty adds set elements through `Value.Equals`, merging two elements only when that is
//! definitely true. Equality of a value with an unknown part is never definitely true
//! (it is unknown, or false), so an element that is not wholly known is never merged
//! with another; wholly known elements merge when [`Value::semantic_eq`] holds (numbers
//! by value, objects attribute by attribute, an absent attribute as null).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use crate::value::Value;

/// For each element, whether it is kept: `false` for a wholly known element equal to an
/// earlier kept one. Expected time is linear in the total size of the elements: equal
/// candidates are found through a hash that agrees with [`Value::semantic_eq`], keyed
/// randomly so that crafted input cannot force collisions.
pub(crate) fn keep_mask(elements: &[Value]) -> Vec<bool> {
    if elements.len() < 2 {
        return vec![true; elements.len()];
    }
    let state = RandomState::new();
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    elements
        .iter()
        .enumerate()
        .map(|(i, element)| {
            if !element.is_wholly_known() {
                return true;
            }
            let bucket = seen
                .entry(state.hash_one(Canonical(element, &state)))
                .or_default();
            if bucket.iter().any(|&j| elements[j].semantic_eq(element)) {
                false
            } else {
                bucket.push(i);
                true
            }
        })
        .collect()
}

/// `elements` without the duplicates [`keep_mask`] finds, in their first order.
pub(crate) fn dedup(elements: Vec<Value>) -> Vec<Value> {
    let keep = keep_mask(&elements);
    if keep.iter().all(|k| *k) {
        return elements;
    }
    elements
        .into_iter()
        .zip(keep)
        .filter_map(|(v, k)| k.then_some(v))
        .collect()
}

/// A value hashed so that values equal by [`Value::semantic_eq`] hash alike: dynamic
/// wrappers are looked through, null object attributes are left out (absent means
/// null), and set elements are combined in an order-independent way.
struct Canonical<'a>(&'a Value, &'a RandomState);

impl Hash for Canonical<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let Canonical(value, state) = *self;
        match value.unwrap_dynamic() {
            Value::Null => h.write_u8(0),
            Value::Unknown => h.write_u8(1),
            Value::Bool(b) => {
                h.write_u8(2);
                b.hash(h);
            }
            Value::Number(n) => {
                h.write_u8(3);
                n.hash(h);
            }
            Value::String(s) => {
                h.write_u8(4);
                s.hash(h);
            }
            Value::List(vs) => ordered(h, 5, vs, state),
            Value::Tuple(vs) => ordered(h, 6, vs, state),
            Value::Set(vs) => {
                h.write_u8(7);
                h.write_usize(vs.len());
                let sum = vs.iter().fold(0u64, |sum, v| {
                    sum.wrapping_add(state.hash_one(Canonical(v, state)))
                });
                h.write_u64(sum);
            }
            Value::Map(m) => {
                h.write_u8(8);
                h.write_usize(m.len());
                for (k, v) in m {
                    k.hash(h);
                    Canonical(v, state).hash(h);
                }
            }
            Value::Object(m) => {
                h.write_u8(9);
                for (k, v) in m.iter().filter(|(_, v)| !v.is_null()) {
                    k.hash(h);
                    Canonical(v, state).hash(h);
                }
            }
            // Looked through above.
            Value::Dynamic(..) => h.write_u8(10),
        }
    }
}

fn ordered<H: Hasher>(h: &mut H, tag: u8, vs: &[Value], state: &RandomState) {
    h.write_u8(tag);
    h.write_usize(vs.len());
    vs.iter().for_each(|v| Canonical(v, state).hash(h));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Number, Type};

    fn num(s: &str) -> Value {
        Value::Number(Number::parse(s).unwrap())
    }

    #[test]
    fn known_duplicates_are_dropped_in_first_order() {
        let out = dedup(vec![
            num("2"),
            num("1"),
            num("1.0"),
            num("2e0"),
            num("0.5"),
            num("5e-1"),
        ]);
        assert_eq!(out, vec![num("2"), num("1"), num("0.5")]);
        let strings = dedup(vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(strings, vec![Value::from("b"), Value::from("a")]);
        assert_eq!(dedup(vec![Value::Null, Value::Null]), vec![Value::Null]);
    }

    #[test]
    fn unknowns_are_kept_apart() {
        let out = dedup(vec![
            Value::Unknown,
            Value::Unknown,
            num("1"),
            num("1"),
            Value::object([("a", Value::Unknown)]),
            Value::object([("a", Value::Unknown)]),
            Value::list([num("1"), Value::Unknown]),
            Value::list([num("1"), Value::Unknown]),
        ]);
        assert_eq!(out.len(), 7);
        assert_eq!(out.iter().filter(|v| v.is_unknown()).count(), 2);
    }

    #[test]
    fn objects_compare_attribute_by_attribute() {
        let a = Value::object([("n", num("1")), ("s", "x".into()), ("z", Value::Null)]);
        let b = Value::object([("s", "x".into()), ("n", num("1.00"))]);
        let c = Value::object([("s", "x".into()), ("n", num("2"))]);
        assert_eq!(dedup(vec![a.clone(), b, c.clone()]), vec![a, c]);
    }

    #[test]
    fn nested_collections_and_dynamic_wrappers() {
        let s1 = Value::set([num("1"), num("2")]);
        let s2 = Value::set([num("2"), num("1.0")]);
        let s3 = Value::set([num("2"), num("3")]);
        assert_eq!(dedup(vec![s1.clone(), s2, s3.clone()]), vec![s1, s3]);
        let m1 = Value::map([("a", num("1"))]);
        let m2 = Value::map([("a", num("1"))]);
        let m3 = Value::map([("a", Value::Null)]);
        assert_eq!(dedup(vec![m1.clone(), m2, m3.clone()]), vec![m1, m3]);
        let d1 = Value::dynamic(Type::String, "x".into());
        let d2 = Value::dynamic(Type::String, "x".into());
        let d3 = Value::dynamic(Type::Number, num("1"));
        assert_eq!(dedup(vec![d1.clone(), d2, d3.clone()]), vec![d1, d3]);
        let l1 = Value::list([num("1"), num("2")]);
        let l2 = Value::list([num("2"), num("1")]);
        assert_eq!(dedup(vec![l1.clone(), l2.clone()]), vec![l1, l2]);
    }

    #[test]
    fn many_elements_stay_fast() {
        // Linear, not quadratic: 200k elements, half of them repeats.
        let elements: Vec<Value> = (0..200_000i64).map(|i| Value::from(i % 100_000)).collect();
        let start = std::time::Instant::now();
        assert_eq!(dedup(elements).len(), 100_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
}
