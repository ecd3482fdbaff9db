//! [`Value`] to msgpack bytes, shaped by the [`Type`] Terraform expects.

use std::collections::BTreeMap;

use super::write;
use crate::error::CtyError;
use crate::number::Number;
use crate::set;
use crate::trail::Trail;
use crate::types::Type;
use crate::value::Value;

/// Encodes `value` as a msgpack value of type `ty`, as Terraform reads it.
///
/// Unknown is written as `d4 00 00` and null as nil at any type. Objects get every
/// attribute of the type (null when absent from the value), keys sorted. A set type gets
/// each distinct element once (see [`Value::set`]). Numbers are written as cty writes
/// them: an int when in `i64` range, else a float64 when exactly a float (so a float
/// decoded here comes back with the same bits), else an unsigned int when in `u64` range
/// (cty would use a string; both read back exactly), otherwise an exact decimal string.
/// A value in a [`Type::Dynamic`] slot must be null, unknown or a [`Value::Dynamic`]
/// naming its concrete type; it is written as `[type JSON as bin, value]`.
///
/// The value kind must fit the type, with some latitude: a list, set or tuple value is
/// accepted for a list or set type, a list for a tuple type, an object for a map type and
/// a map for an object type, and a [`Value::Dynamic`] whose type is `ty` itself.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CtyError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty, &Trail::Root, 0)?;
    Ok(out)
}

fn encode_value(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<(), CtyError> {
    trail.check_depth(depth)?;
    let wrote = |r: Result<(), String>| r.map_err(|m| trail.err(m));
    match (value, ty) {
        (Value::Unknown, _) => out.extend_from_slice(&write::UNKNOWN),
        (Value::Null, _) => write::nil(out),
        (Value::Dynamic(inner_ty, inner), Type::Dynamic) => {
            wrote(write::array_len(out, 2))?;
            wrote(write::bin(out, &inner_ty.to_json_bytes()))?;
            encode_value(out, inner, inner_ty, trail, depth + 1)?;
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
        (Value::Bool(b), Type::Bool) => write::bool(out, *b),
        (Value::Number(n), Type::Number) => wrote(encode_number(out, n))?,
        (Value::String(s), Type::String) => wrote(write::str(out, s))?,
        (Value::List(vs) | Value::Set(vs) | Value::Tuple(vs), Type::List(ety)) => {
            wrote(write::array_len(out, vs.len()))?;
            for (i, v) in vs.iter().enumerate() {
                encode_value(out, v, ety, &Trail::Index(trail, i), depth + 1)?;
            }
        }
        (Value::List(vs) | Value::Set(vs) | Value::Tuple(vs), Type::Set(ety)) => {
            let keep = set::keep_mask(vs);
            wrote(write::array_len(out, keep.iter().filter(|k| **k).count()))?;
            for (i, v) in vs.iter().enumerate().filter(|(i, _)| keep[*i]) {
                encode_value(out, v, ety, &Trail::Index(trail, i), depth + 1)?;
            }
        }
        (Value::Tuple(vs) | Value::List(vs), Type::Tuple(etys)) => {
            if vs.len() != etys.len() {
                return Err(trail.err(format!(
                    "expected a tuple of {} elements, got {}",
                    etys.len(),
                    vs.len()
                )));
            }
            wrote(write::array_len(out, vs.len()))?;
            for (i, (v, ety)) in vs.iter().zip(etys).enumerate() {
                encode_value(out, v, ety, &Trail::Index(trail, i), depth + 1)?;
            }
        }
        (Value::Map(m) | Value::Object(m), Type::Map(ety)) => {
            wrote(write::map_len(out, m.len()))?;
            for (k, v) in m {
                wrote(write::str(out, k))?;
                encode_value(out, v, ety, &Trail::Key(trail, k), depth + 1)?;
            }
        }
        (Value::Object(m) | Value::Map(m), Type::Object(attrs)) => {
            encode_object(out, m, attrs, trail, depth)?;
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

fn encode_object(
    out: &mut Vec<u8>,
    m: &BTreeMap<String, Value>,
    attrs: &BTreeMap<String, Type>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<(), CtyError> {
    if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
        return Err(trail.err(format!("unsupported attribute {extra:?}")));
    }
    write::map_len(out, attrs.len()).map_err(|e| trail.err(e))?;
    for (name, aty) in attrs {
        write::str(out, name).map_err(|e| trail.err(e))?;
        let v = m.get(name).unwrap_or(&Value::Null);
        encode_value(out, v, aty, &Trail::Attr(trail, name), depth + 1)?;
    }
    Ok(())
}

fn encode_number(out: &mut Vec<u8>, n: &Number) -> Result<(), String> {
    if let Some(i) = n.as_i64() {
        write::int(out, i);
    } else if let Some(f) = n.exact_f64() {
        write::f64(out, f);
    } else if let Some(u) = n.as_u64() {
        write::uint(out, u);
    } else {
        write::str(out, &n.to_string())?;
    }
    Ok(())
}
