//! [`Value`] to cty's JSON form.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::CtyError;
use crate::set;
use crate::trail::Trail;
use crate::types::Type;
use crate::value::Value;

/// Encodes `value` in cty's JSON form for type `ty` (the form of Terraform state).
///
/// Objects get every attribute of the type (null when absent from the value); numbers
/// are written exactly; a set type gets each distinct element once (see [`Value::set`]);
/// a dynamic value is `{"value": ..., "type": ...}`. Unknown values cannot be represented
/// and are an error. Value kinds are matched against the type with the same latitude as
/// [`crate::msgpack::encode`].
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CtyError> {
    let mut out = String::new();
    encode_value(&mut out, value, ty, &Trail::Root, 0)?;
    Ok(out.into_bytes())
}

fn encode_value(
    out: &mut String,
    value: &Value,
    ty: &Type,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<(), CtyError> {
    trail.check_depth(depth)?;
    match (value, ty) {
        (Value::Unknown, _) => {
            return Err(trail.err("an unknown value cannot be represented in JSON"));
        }
        (Value::Null, _) => out.push_str("null"),
        (Value::Dynamic(inner_ty, inner), Type::Dynamic) => {
            out.push_str("{\"value\":");
            encode_value(out, inner, inner_ty, trail, depth + 1)?;
            out.push_str(",\"type\":");
            out.push_str(&inner_ty.to_json().to_string());
            out.push('}');
        }
        (_, Type::Dynamic) => {
            return Err(trail.err(format!(
                "a value of dynamic type must be wrapped in Value::Dynamic with its type, got {}",
                value.kind_name()
            )));
        }
        (Value::Dynamic(inner_ty, inner), _) if inner_ty == ty => {
            encode_value(out, inner, ty, trail, depth + 1)?;
        }
        (Value::Bool(b), Type::Bool) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Number(n), Type::Number) => {
            let _ = write!(out, "{n}");
        }
        (Value::String(s), Type::String) => string(out, s),
        (Value::List(vs) | Value::Set(vs) | Value::Tuple(vs), Type::List(ety)) => {
            array(out, vs.iter().enumerate(), |_| ety, trail, depth)?;
        }
        (Value::List(vs) | Value::Set(vs) | Value::Tuple(vs), Type::Set(ety)) => {
            let keep = set::keep_mask(vs);
            let distinct = vs.iter().enumerate().filter(|(i, _)| keep[*i]);
            array(out, distinct, |_| ety, trail, depth)?;
        }
        (Value::Tuple(vs) | Value::List(vs), Type::Tuple(etys)) => {
            if vs.len() != etys.len() {
                return Err(trail.err(format!(
                    "expected a tuple of {} elements, got {}",
                    etys.len(),
                    vs.len()
                )));
            }
            array(out, vs.iter().enumerate(), |i| &etys[i], trail, depth)?;
        }
        (Value::Map(m) | Value::Object(m), Type::Map(ety)) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                encode_value(out, v, ety, &Trail::Key(trail, k), depth + 1)?;
            }
            out.push('}');
        }
        (Value::Object(m) | Value::Map(m), Type::Object(attrs)) => {
            object(out, m, attrs, trail, depth)?;
        }
        _ => {
            return Err(trail.err(format!(
                "expected {}, got {}",
                ty.friendly_name(),
                value.kind_name()
            )));
        }
    }
    Ok(())
}

/// An array of the `(index, element)` pairs, indices naming the elements in errors.
fn array<'v, 't>(
    out: &mut String,
    items: impl Iterator<Item = (usize, &'v Value)>,
    element_type: impl Fn(usize) -> &'t Type,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<(), CtyError> {
    out.push('[');
    for (n, (i, v)) in items.enumerate() {
        if n > 0 {
            out.push(',');
        }
        encode_value(out, v, element_type(i), &Trail::Index(trail, i), depth + 1)?;
    }
    out.push(']');
    Ok(())
}

fn object(
    out: &mut String,
    m: &BTreeMap<String, Value>,
    attrs: &BTreeMap<String, Type>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<(), CtyError> {
    if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
        return Err(trail.err(format!("unsupported attribute {extra:?}")));
    }
    out.push('{');
    for (i, (name, aty)) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, name);
        out.push(':');
        let v = m.get(name).unwrap_or(&Value::Null);
        encode_value(out, v, aty, &Trail::Attr(trail, name), depth + 1)?;
    }
    out.push('}');
    Ok(())
}

/// A JSON string literal.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
