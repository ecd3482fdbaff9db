//! cty types and their JSON encoding (the form used in schemas and dynamic values).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::error::CtyError;
use crate::path::Path;

/// Deepest type nesting accepted by [`Type::from_json`].
pub const MAX_TYPE_DEPTH: usize = 128;

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    /// cty's `DynamicPseudoType`: the concrete type travels with the value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `object({...})` from attribute names and types.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// `tuple([...])`.
    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    /// A short human name for messages: `string`, `list of number`, `object`, ...
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::Dynamic => "dynamic".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Object(_) => "object".into(),
            Type::Tuple(_) => "tuple".into(),
        }
    }

    /// cty's JSON encoding of this type, e.g. `["list","string"]`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            Type::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            Type::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            Type::Object(attrs) => {
                let attrs = attrs.iter().map(|(k, t)| (k.clone(), t.to_json()));
                Json::Array(vec!["object".into(), Json::Object(attrs.collect())])
            }
            Type::Tuple(elems) => {
                let elems = elems.iter().map(Type::to_json).collect();
                Json::Array(vec!["tuple".into(), Json::Array(elems)])
            }
        }
    }

    /// [`Type::to_json`] serialized compactly.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses cty's JSON type encoding.
    ///
    /// The three-element object form `["object",{...},["optional",...]]` used by type
    /// constraints is accepted; the optional-attribute list is ignored.
    pub fn from_json(json: &Json) -> Result<Type, CtyError> {
        parse(json, &Path::root(), 0)
    }

    /// Parses cty's JSON type encoding from bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, CtyError> {
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|e| CtyError::root(format!("invalid type JSON: {e}")))?;
        Type::from_json(&json)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

fn invalid(path: &Path, what: impl fmt::Display) -> CtyError {
    CtyError::new(path.clone(), format!("invalid type specification: {what}"))
}

fn parse(json: &Json, path: &Path, depth: usize) -> Result<Type, CtyError> {
    if depth > MAX_TYPE_DEPTH {
        return Err(invalid(path, "nested too deeply"));
    }
    match json {
        Json::String(name) => match name.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(invalid(
                path,
                format_args!("unknown primitive type {other:?}"),
            )),
        },
        Json::Array(items) => parse_compound(items, path, depth),
        other => Err(invalid(path, format_args!("unexpected {other}"))),
    }
}

fn parse_compound(items: &[Json], path: &Path, depth: usize) -> Result<Type, CtyError> {
    let (kind, rest) = match items.split_first() {
        Some((Json::String(kind), rest)) => (kind.as_str(), rest),
        _ => return Err(invalid(path, "a type array must start with its kind")),
    };
    let arg = match (kind, rest) {
        ("object", [arg] | [arg, _]) => arg,
        (_, [arg]) => arg,
        _ => return Err(invalid(path, format_args!("wrong length for {kind:?}"))),
    };
    let inner = path.index(1);
    match kind {
        "list" => Ok(Type::list(parse(arg, &inner, depth + 1)?)),
        "set" => Ok(Type::set(parse(arg, &inner, depth + 1)?)),
        "map" => Ok(Type::map(parse(arg, &inner, depth + 1)?)),
        "object" => {
            let Json::Object(attrs) = arg else {
                return Err(invalid(path, "object attributes must be a JSON object"));
            };
            let mut out = BTreeMap::new();
            for (name, t) in attrs {
                out.insert(name.clone(), parse(t, &inner.key(name.clone()), depth + 1)?);
            }
            Ok(Type::Object(out))
        }
        "tuple" => {
            let Json::Array(elems) = arg else {
                return Err(invalid(path, "tuple elements must be a JSON array"));
            };
            let elems = elems
                .iter()
                .enumerate()
                .map(|(i, t)| parse(t, &inner.index(i as i64), depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(Type::Tuple(elems))
        }
        other => Err(invalid(path, format_args!("unknown type kind {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip() {
        let t = Type::object([
            ("name", Type::String),
            ("ports", Type::list(Type::Number)),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::Bool)),
            ("any", Type::Dynamic),
            ("pair", Type::tuple([Type::String, Type::Number])),
        ]);
        let j = t.to_json();
        assert_eq!(
            j,
            json!(["object", {
                "any": "dynamic",
                "ids": ["set", "bool"],
                "name": "string",
                "pair": ["tuple", ["string", "number"]],
                "ports": ["list", "number"],
                "tags": ["map", "string"],
            }])
        );
        assert_eq!(Type::from_json(&j), Ok(t.clone()));
        assert_eq!(Type::from_json_bytes(&t.to_json_bytes()), Ok(t));
    }

    #[test]
    fn optional_attribute_form_is_accepted() {
        let j = json!(["object", {"a": "string"}, ["a"]]);
        assert_eq!(Type::from_json(&j), Ok(Type::object([("a", Type::String)])));
    }

    #[test]
    fn bad_types_are_rejected() {
        for j in [
            json!("strin"),
            json!(["list"]),
            json!(["list", "string", "x"]),
            json!(["object", ["a"]]),
            json!(["tuple", {}]),
            json!([1, "string"]),
            json!(3),
            json!(["frob", "string"]),
        ] {
            assert!(Type::from_json(&j).is_err(), "{j}");
        }
        let err = Type::from_json(&json!(["object", {"a": ["list", "nope"]}]));
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("[1][\"a\"][1]"), "{msg}");
    }

    #[test]
    fn deep_types_are_rejected() {
        let mut j = json!("string");
        for _ in 0..200 {
            j = json!(["list", j]);
        }
        assert!(Type::from_json(&j).is_err());
    }

    #[test]
    fn friendly_names() {
        assert_eq!(Type::list(Type::String).friendly_name(), "list of string");
        assert_eq!(Type::list(Type::String).to_string(), r#"["list","string"]"#);
    }
}
