//! Semantic equality of values.

use std::collections::BTreeMap;

use crate::value::Value;

impl Value {
    /// Equality as cty means it: numbers by value, set elements as unordered multisets
    /// (recursively), an object attribute that is absent equal to one that is null.
    ///
    /// Two [`Value::Dynamic`] wrappers are equal when their types and contents are; a
    /// wrapper and a bare value are compared by the wrapper's contents.
    pub fn semantic_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a.semantic_eq(b),
            (Value::Dynamic(_, a), b) => a.semantic_eq(b),
            (a, Value::Dynamic(_, b)) => a.semantic_eq(b),
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                ordered_eq(a, b)
            }
            (Value::Set(a), Value::Set(b)) => unordered_eq(a, b),
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, va)| b.get(k).is_some_and(|vb| va.semantic_eq(vb)))
            }
            (Value::Object(a), Value::Object(b)) => attrs_eq(a, b) && attrs_eq(b, a),
            _ => false,
        }
    }
}

fn ordered_eq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.semantic_eq(y))
}

fn unordered_eq(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        let found = b
            .iter()
            .enumerate()
            .position(|(i, y)| !used[i] && x.semantic_eq(y));
        match found {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

/// Every attribute of `a` equals the one of `b` (absent counting as null).
fn attrs_eq(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> bool {
    a.iter().all(|(k, va)| match b.get(k) {
        Some(vb) => va.semantic_eq(vb),
        None => va.is_null(),
    })
}

#[cfg(test)]
mod tests {
    use crate::{Number, Type, Value};

    fn num(s: &str) -> Value {
        Value::Number(Number::parse(s).unwrap())
    }

    #[test]
    fn numbers_by_value() {
        assert!(num("1").semantic_eq(&num("1.0")));
        assert!(!num("1").semantic_eq(&num("1.01")));
    }

    #[test]
    fn sets_are_unordered_multisets() {
        // Built directly, so that the duplicates stay (`Value::set` would drop them).
        let a = Value::Set(vec![1i64.into(), 2i64.into(), 2i64.into()]);
        let b = Value::Set(vec![2i64.into(), num("1.0"), 2i64.into()]);
        let c = Value::Set(vec![1i64.into(), 1i64.into(), 2i64.into()]);
        assert!(a.semantic_eq(&b));
        assert!(!a.semantic_eq(&c));
        let nested_a = Value::list([a.clone(), c.clone()]);
        let nested_b = Value::list([b.clone(), c.clone()]);
        assert!(nested_a.semantic_eq(&nested_b));
        assert!(
            !Value::list([1i64.into(), 2i64.into()])
                .semantic_eq(&Value::list([2i64.into(), 1i64.into()]))
        );
        assert!(!a.semantic_eq(&Value::list([1i64.into(), 2i64.into(), 2i64.into()])));
    }

    #[test]
    fn absent_attributes_are_null() {
        let a = Value::object([("a", Value::from(1i64)), ("b", Value::Null)]);
        let b = Value::object([("a", Value::from(1i64))]);
        assert!(a.semantic_eq(&b));
        assert!(b.semantic_eq(&a));
        let c = Value::object([("a", Value::from(1i64)), ("b", Value::from(true))]);
        assert!(!c.semantic_eq(&b));
        let m1 = Value::map([("a", Value::Null)]);
        assert!(!m1.semantic_eq(&Value::map::<String>([])));
    }

    #[test]
    fn dynamic_wrappers() {
        let d = Value::dynamic(Type::String, "x".into());
        assert!(d.semantic_eq(&"x".into()));
        assert!(Value::from("x").semantic_eq(&d));
        assert!(!d.semantic_eq(&Value::dynamic(Type::Number, "x".into())));
        assert!(!Value::Null.semantic_eq(&Value::Unknown));
    }
}
