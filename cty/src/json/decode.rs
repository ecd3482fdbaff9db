//! JSON bytes to [`Value`], driven by the expected [`Type`].

use std::collections::BTreeMap;

use super::scan::{self, Json};
use crate::error::CtyError;
use crate::number::Number;
use crate::set;
use crate::trail::Trail;
use crate::types::Type;
use crate::value::Value;

/// Decodes cty's JSON form of a value of type `ty` (Terraform state, e.g.
/// `UpgradeResourceState`'s `RawState.json`).
///
/// `null` is null at any type. Numbers are kept exact. As in cty, primitives convert
/// leniently: a string holding a number is accepted for a number, `"true"`/`"false"` for
/// a bool, and a number or bool for a string. A missing object attribute is null; one not
/// in the type is an error. A dynamic value is `{"value": ..., "type": ...}`. A set
/// holds each distinct element once (see [`Value::set`]).
///
/// JSON declares no lengths: the parser grows its arrays and objects one parsed item at
/// a time and the values are built from those, so memory stays proportional to the
/// input.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CtyError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| CtyError::root(format!("JSON is not valid UTF-8: {e}")))?;
    let doc = scan::parse(text).map_err(CtyError::root)?;
    decode_value(&doc, ty, &Trail::Root, 0)
}

fn mismatch(trail: &Trail<'_>, ty: &Type, json: &Json<'_>) -> CtyError {
    trail.err(format!(
        "expected {}, got JSON {}",
        ty.friendly_name(),
        json.kind_name()
    ))
}

fn number(text: &str, trail: &Trail<'_>) -> Result<Value, CtyError> {
    Number::parse(text)
        .map(Value::Number)
        .map_err(|e| trail.err(format!("expected number: {}", e.message())))
}

fn decode_value(
    json: &Json<'_>,
    ty: &Type,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Value, CtyError> {
    trail.check_depth(depth)?;
    if *json == Json::Null {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Bool, Json::String(s)) if s == "true" || s == "false" => {
            Ok(Value::Bool(s == "true"))
        }
        (Type::Number, Json::Number(text)) => number(text, trail),
        (Type::Number, Json::String(text)) => number(text, trail),
        (Type::String, Json::String(s)) => Ok(Value::String(s.clone())),
        (Type::String, Json::Number(text)) => Ok(Value::string(*text)),
        (Type::String, Json::Bool(b)) => Ok(Value::string(b.to_string())),
        (Type::List(ety), Json::Array(items)) => {
            elements(items, |_| Some(&**ety), trail, depth).map(Value::List)
        }
        (Type::Set(ety), Json::Array(items)) => {
            elements(items, |_| Some(&**ety), trail, depth).map(|vs| Value::Set(set::dedup(vs)))
        }
        (Type::Tuple(etys), Json::Array(items)) => {
            if items.len() != etys.len() {
                return Err(trail.err(format!(
                    "expected a tuple of {} elements, got {}",
                    etys.len(),
                    items.len()
                )));
            }
            elements(items, |i| etys.get(i), trail, depth).map(Value::Tuple)
        }
        (Type::Map(ety), Json::Object(members)) => {
            let mut out = BTreeMap::new();
            for (key, item) in members {
                let value = decode_value(item, ety, &Trail::Key(trail, key), depth + 1)?;
                if out.insert(key.clone(), value).is_some() {
                    return Err(trail.err(format!("duplicate map key {key:?}")));
                }
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attrs), Json::Object(members)) => object(members, attrs, trail, depth),
        (Type::Dynamic, Json::Object(members)) => dynamic(members, trail, depth),
        (Type::Dynamic, _) => Err(trail.err(format!(
            "expected a dynamic value as {{\"value\": ..., \"type\": ...}}, got JSON {}",
            json.kind_name()
        ))),
        _ => Err(mismatch(trail, ty, json)),
    }
}

fn elements<'t>(
    items: &[Json<'_>],
    element_type: impl Fn(usize) -> Option<&'t Type>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Vec<Value>, CtyError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let ety = element_type(i).ok_or_else(|| trail.err("too many elements"))?;
            decode_value(item, ety, &Trail::Index(trail, i), depth + 1)
        })
        .collect()
}

fn object(
    members: &[(String, Json<'_>)],
    attrs: &BTreeMap<String, Type>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Value, CtyError> {
    let mut out = BTreeMap::new();
    for (name, item) in members {
        let Some(aty) = attrs.get(name) else {
            return Err(trail.err(format!("unsupported attribute {name:?}")));
        };
        let value = decode_value(item, aty, &Trail::Attr(trail, name), depth + 1)?;
        if out.insert(name.clone(), value).is_some() {
            return Err(trail.err(format!("duplicate attribute {name:?}")));
        }
    }
    for name in attrs.keys() {
        if !out.contains_key(name) {
            out.insert(name.clone(), Value::Null);
        }
    }
    Ok(Value::Object(out))
}

fn dynamic(
    members: &[(String, Json<'_>)],
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Value, CtyError> {
    let (mut ty, mut value) = (None, None);
    for (key, item) in members {
        let slot = match key.as_str() {
            "type" => &mut ty,
            "value" => &mut value,
            _ => {
                return Err(trail.err(format!("invalid key {key:?} in a dynamic value")));
            }
        };
        if slot.replace(item).is_some() {
            return Err(trail.err(format!("duplicate key {key:?} in a dynamic value")));
        }
    }
    let (Some(ty), Some(value)) = (ty, value) else {
        return Err(trail.err("a dynamic value needs both \"value\" and \"type\""));
    };
    let ty = Type::from_json(&ty.to_serde())
        .map_err(|e| trail.err(format!("dynamic value: {}", e.message())))?;
    let value = decode_value(value, &ty, trail, depth + 1)?;
    Ok(Value::Dynamic(ty, Box::new(value)))
}
