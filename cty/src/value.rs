//! cty values.

use std::collections::BTreeMap;

use crate::number::Number;
use crate::types::Type;

/// A cty value. Values carry no type of their own: the codecs pair them with a [`Type`].
///
/// The accessors (`is_null`, `as_str`, ...) look through [`Value::Dynamic`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// Attributes; an attribute of the object type missing here counts as null.
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value in a slot of type [`Type::Dynamic`], with its concrete type.
    Dynamic(Type, Box<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object value from attribute names and values.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A map value from keys and values.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A list value.
    pub fn list(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::List(elements.into_iter().collect())
    }

    /// A set value holding each distinct element once, as cty does: a wholly known
    /// element equal ([`Value::semantic_eq`]) to an earlier one is dropped, so `1` and
    /// `1.0` are one element; elements with unknown parts are never merged. The first
    /// occurrences keep their order. (Building [`Value::Set`] directly keeps everything.)
    pub fn set(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Set(crate::set::dedup(elements.into_iter().collect()))
    }

    /// A tuple value.
    pub fn tuple(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Tuple(elements.into_iter().collect())
    }

    /// A value of concrete type `ty` for a slot of type [`Type::Dynamic`].
    pub fn dynamic(ty: Type, value: Value) -> Value {
        Value::Dynamic(ty, Box::new(value))
    }

    /// This value with any [`Value::Dynamic`] wrappers removed.
    pub fn unwrap_dynamic(&self) -> &Value {
        let mut v = self;
        while let Value::Dynamic(_, inner) = v {
            v = inner;
        }
        v
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Null)
    }

    /// Whether the value itself is unknown (its parts are not looked at).
    pub fn is_unknown(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Unknown)
    }

    /// Whether the value itself is known (its parts may still be unknown).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Whether no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self.unwrap_dynamic() {
            Value::Unknown => false,
            Value::List(vs) | Value::Set(vs) | Value::Tuple(vs) => {
                vs.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An attribute of an object value.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self.unwrap_dynamic() {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    /// The string, for a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_dynamic() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, for a bool value.
    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_dynamic() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, for a number value.
    pub fn as_number(&self) -> Option<&Number> {
        match self.unwrap_dynamic() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The integer, for a number value that is an integer in `i64` range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The elements of a list, set or tuple value.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self.unwrap_dynamic() {
            Value::List(vs) | Value::Set(vs) | Value::Tuple(vs) => Some(vs),
            _ => None,
        }
    }

    /// The entries of a map value or the attributes of an object value.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unwrap_dynamic() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A short name of the value's kind for messages: `string`, `list`, `null`, ...
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            Value::Dynamic(..) => "dynamic",
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(i.into())
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Number(i.into())
    }
}

impl From<u64> for Value {
    fn from(i: u64) -> Value {
        Value::Number(i.into())
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` becomes [`Value::Null`].
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors() {
        let v = Value::object([
            ("name", Value::string("web")),
            ("count", 3i64.into()),
            ("on", true.into()),
            ("ports", Value::list([80i64.into(), Value::Unknown])),
            ("tags", Value::map([("a", "b".into())])),
            ("any", Value::dynamic(Type::String, "x".into())),
        ]);
        assert_eq!(v.get_attr("name").and_then(Value::as_str), Some("web"));
        assert_eq!(v.get_attr("count").and_then(Value::as_i64), Some(3));
        assert_eq!(v.get_attr("on").and_then(Value::as_bool), Some(true));
        assert_eq!(v.get_attr("any").and_then(Value::as_str), Some("x"));
        assert_eq!(
            v.get_attr("ports")
                .and_then(Value::as_elements)
                .map(<[_]>::len),
            Some(2)
        );
        assert!(v.get_attr("tags").and_then(Value::as_map).is_some());
        assert!(v.get_attr("missing").is_none());
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        assert!(Value::Unknown.is_unknown());
        assert!(Value::dynamic(Type::Number, Value::Null).is_null());
        assert!(Value::from(None::<i64>).is_null());
        assert_eq!(Value::from(Some("a")), Value::string("a"));
        assert_eq!(Value::tuple([]).kind_name(), "tuple");
    }

    #[test]
    fn set_constructor_removes_duplicates() {
        let one_point_oh = Value::Number(Number::parse("1.0").unwrap());
        let s = Value::set([1i64.into(), one_point_oh, 2i64.into(), 1i64.into()]);
        assert_eq!(s, Value::Set(vec![1i64.into(), 2i64.into()]));
        let unknowns = Value::set([Value::Unknown, Value::Unknown]);
        assert_eq!(unknowns.as_elements().map(<[_]>::len), Some(2));
        let objects = Value::set([
            Value::object([("a", Value::from("x")), ("b", Value::Null)]),
            Value::object([("a", Value::from("x"))]),
        ]);
        assert_eq!(objects.as_elements().map(<[_]>::len), Some(1));
    }
}
