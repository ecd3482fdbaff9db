//! msgpack bytes to [`Value`], driven by the expected [`Type`].

use std::collections::BTreeMap;

use super::read::{Reader, Token};
use crate::error::CtyError;
use crate::number::Number;
use crate::trail::Trail;
use crate::types::Type;
use crate::value::Value;

/// Decodes one msgpack-encoded value of type `ty`, as Terraform sends it.
///
/// nil is null at any type and every extension is an unknown value (type 0, and type 12
/// whose payload refines the unknown and is ignored here). A missing object attribute
/// decodes as null; an attribute not in the type is an error. Numbers may come as ints,
/// floats or decimal strings. Nesting beyond [`crate::MAX_DEPTH`] and trailing bytes
/// are errors. No input makes this panic.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CtyError> {
    let mut reader = Reader::new(bytes);
    let value = decode_value(&mut reader, ty, &Trail::Root, 0)?;
    if reader.remaining() > 0 {
        return Err(CtyError::root(format!(
            "{} trailing bytes after the msgpack value",
            reader.remaining()
        )));
    }
    Ok(value)
}

fn mismatch(trail: &Trail<'_>, ty: &Type, token: &Token<'_>) -> CtyError {
    trail.err(format!(
        "expected {}, got msgpack {}",
        ty.friendly_name(),
        token.kind_name()
    ))
}

fn decode_value(
    r: &mut Reader<'_>,
    ty: &Type,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Value, CtyError> {
    trail.check_depth(depth)?;
    let token = r.next().map_err(|m| trail.err(m))?;
    match token {
        Token::Ext(..) => return Ok(Value::Unknown),
        Token::Nil => return Ok(Value::Null),
        _ => {}
    }
    match ty {
        Type::Bool => match token {
            Token::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(mismatch(trail, ty, &token)),
        },
        Type::Number => decode_number(&token, trail).map(Value::Number),
        Type::String => match token {
            Token::Str(bytes) | Token::Bin(bytes) => utf8(bytes, trail).map(Value::String),
            _ => Err(mismatch(trail, ty, &token)),
        },
        Type::List(ety) | Type::Set(ety) => {
            let Token::Array(n) = token else {
                return Err(mismatch(trail, ty, &token));
            };
            let elements = decode_elements(r, n, |_| Some(&**ety), trail, depth)?;
            Ok(match ty {
                Type::Set(_) => Value::Set(elements),
                _ => Value::List(elements),
            })
        }
        Type::Tuple(etys) => {
            let Token::Array(n) = token else {
                return Err(mismatch(trail, ty, &token));
            };
            if usize::try_from(n).ok() != Some(etys.len()) {
                return Err(trail.err(format!(
                    "expected a tuple of {} elements, got {n}",
                    etys.len()
                )));
            }
            decode_elements(r, n, |i| etys.get(i), trail, depth).map(Value::Tuple)
        }
        Type::Map(ety) => {
            let Token::Map(n) = token else {
                return Err(mismatch(trail, ty, &token));
            };
            decode_entries(r, n, |_| Some(&**ety), Entries::MapKeys, trail, depth).map(Value::Map)
        }
        Type::Object(attrs) => {
            let Token::Map(n) = token else {
                return Err(mismatch(trail, ty, &token));
            };
            let mut out = decode_entries(r, n, |k| attrs.get(k), Entries::Attrs, trail, depth)?;
            for name in attrs.keys() {
                if !out.contains_key(name) {
                    out.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => decode_dynamic(r, &token, trail, depth),
    }
}

fn utf8(bytes: &[u8], trail: &Trail<'_>) -> Result<String, CtyError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| trail.err(format!("string is not valid UTF-8: {e}")))
}

fn decode_number(token: &Token<'_>, trail: &Trail<'_>) -> Result<Number, CtyError> {
    let float = |f: f64| {
        Number::from_f64(f).ok_or_else(|| trail.err(format!("number must be finite, got {f}")))
    };
    match *token {
        Token::Int(i) => Ok(Number::from(i)),
        Token::Uint(u) => Ok(Number::from(u)),
        Token::F32(f) => float(f64::from(f)),
        Token::F64(f) => float(f),
        Token::Str(bytes) | Token::Bin(bytes) => {
            let text = utf8(bytes, trail)?;
            Number::parse(&text)
                .map_err(|e| trail.err(format!("expected number, got string: {}", e.message())))
        }
        _ => Err(mismatch(trail, &Type::Number, token)),
    }
}

fn decode_elements<'t>(
    r: &mut Reader<'_>,
    n: u32,
    element_type: impl Fn(usize) -> Option<&'t Type>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Vec<Value>, CtyError> {
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    // Every element takes at least one byte, so this bounds the allocation by the input.
    let mut out = Vec::with_capacity(n.min(r.remaining()));
    for i in 0..n {
        let ety = element_type(i).ok_or_else(|| trail.err("too many elements"))?;
        out.push(decode_value(r, ety, &Trail::Index(trail, i), depth + 1)?);
    }
    Ok(out)
}

/// What the keys of a msgpack map are.
#[derive(Clone, Copy)]
enum Entries {
    Attrs,
    MapKeys,
}

/// Reads `n` entries of a msgpack map; `entry_type` gives the type of the value under a
/// key, or `None` when the key is not allowed.
fn decode_entries<'t>(
    r: &mut Reader<'_>,
    n: u32,
    entry_type: impl Fn(&str) -> Option<&'t Type>,
    entries: Entries,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<BTreeMap<String, Value>, CtyError> {
    let what = match entries {
        Entries::Attrs => "attribute",
        Entries::MapKeys => "map key",
    };
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let key = match r.next().map_err(|m| trail.err(m))? {
            Token::Str(bytes) | Token::Bin(bytes) => utf8(bytes, trail)?,
            other => {
                return Err(trail.err(format!(
                    "{what}s must be strings, got msgpack {}",
                    other.kind_name()
                )));
            }
        };
        let Some(ety) = entry_type(&key) else {
            return Err(trail.err(format!("unsupported {what} {key:?}")));
        };
        if out.contains_key(&key) {
            return Err(trail.err(format!("duplicate {what} {key:?}")));
        }
        let child = match entries {
            Entries::Attrs => Trail::Attr(trail, &key),
            Entries::MapKeys => Trail::Key(trail, &key),
        };
        let value = decode_value(r, ety, &child, depth + 1)?;
        out.insert(key, value);
    }
    Ok(out)
}

/// A dynamically-typed value: `[type JSON as bin or str, value]`.
fn decode_dynamic(
    r: &mut Reader<'_>,
    token: &Token<'_>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Value, CtyError> {
    if *token != Token::Array(2) {
        return Err(trail.err(format!(
            "expected a dynamic value as a [type, value] array, got msgpack {}",
            token.kind_name()
        )));
    }
    let type_json = match r.next().map_err(|m| trail.err(m))? {
        Token::Str(bytes) | Token::Bin(bytes) => bytes,
        other => {
            return Err(trail.err(format!(
                "expected the JSON type of a dynamic value, got msgpack {}",
                other.kind_name()
            )));
        }
    };
    let ty = Type::from_json_bytes(type_json)
        .map_err(|e| trail.err(format!("dynamic value: {}", e.message())))?;
    let value = decode_value(r, &ty, trail, depth + 1)?;
    Ok(Value::Dynamic(ty, Box::new(value)))
}
