//! msgpack bytes to [`Value`], driven by the expected [`Type`].

use std::collections::BTreeMap;

use super::read::{Reader, Token};
use crate::error::CtyError;
use crate::number::Number;
use crate::set;
use crate::trail::Trail;
use crate::types::Type;
use crate::value::Value;

/// Decodes one msgpack-encoded value of type `ty`, as Terraform sends it.
///
/// nil is null at any type and every extension is an unknown value (type 0, and type 12
/// whose payload refines the unknown and is ignored here). A missing object attribute
/// decodes as null; an attribute not in the type is an error. Numbers may come as ints,
/// floats or decimal strings; a float is kept as exactly its binary value. A set holds
/// each distinct element once (see [`Value::set`]). Nesting beyond [`crate::MAX_DEPTH`]
/// and trailing bytes are errors. No input makes this panic.
///
/// Memory stays proportional to the input: a container whose declared length cannot fit
/// in the bytes left (each element takes at least one byte, each map entry two, besides
/// those the enclosing containers still need) is an error before anything is allocated
/// for it, and strings are borrowed from the input until their bytes are known present.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CtyError> {
    let mut d = Decoder {
        r: Reader::new(bytes),
        pending: 0,
    };
    let value = decode_value(&mut d, ty, &Trail::Root, 0)?;
    if d.r.remaining() > 0 {
        return Err(CtyError::root(format!(
            "{} trailing bytes after the msgpack value",
            d.r.remaining()
        )));
    }
    Ok(value)
}

/// The reader, and the fewest bytes the containers being read still need: one for each
/// element not started yet (two for a map entry).
///
/// Every element of every open container begins with a marker byte of its own, so the
/// elements started so far (across all open containers) number at most the bytes read,
/// and those not started at most the bytes left, which [`claim`] enforces. The slots
/// reserved for the open lists therefore never exceed the input's length in total, at
/// any depth of nesting, whatever lengths the input declares.
struct Decoder<'a> {
    r: Reader<'a>,
    pending: usize,
}

/// Bytes each element of a container needs at the least.
const ARRAY_ELEMENT_BYTES: usize = 1;
const MAP_ENTRY_BYTES: usize = 2;

/// The number of elements to reserve room for, for a container declaring `declared`
/// elements of at least `per_element` bytes each when `available` bytes are left for
/// it: `declared` itself, or an error when they cannot fit.
pub(crate) fn claim(declared: u32, per_element: usize, available: usize) -> Result<usize, String> {
    let n = usize::try_from(declared).unwrap_or(usize::MAX);
    match n.checked_mul(per_element) {
        Some(needed) if needed <= available => Ok(n),
        _ => Err(format!(
            "unexpected end of msgpack input: {declared} declared elements need at least \
             {} bytes, {available} left",
            u128::from(declared) * per_element as u128
        )),
    }
}

impl Decoder<'_> {
    /// Checks that `declared` elements of `per_element` bytes fit in what is left, and
    /// counts them as pending; returns the number of elements.
    fn open(&mut self, declared: u32, per_element: usize) -> Result<usize, String> {
        let available = self.r.remaining().saturating_sub(self.pending);
        let n = claim(declared, per_element, available)?;
        self.pending += n * per_element;
        Ok(n)
    }

    /// An element of a container opened with `per_element` begins.
    fn start_element(&mut self, per_element: usize) {
        self.pending = self.pending.saturating_sub(per_element);
    }
}

fn mismatch(trail: &Trail<'_>, ty: &Type, token: &Token<'_>) -> CtyError {
    trail.err(format!(
        "expected {}, got msgpack {}",
        ty.friendly_name(),
        token.kind_name()
    ))
}

fn decode_value(
    d: &mut Decoder<'_>,
    ty: &Type,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Value, CtyError> {
    trail.check_depth(depth)?;
    let token = d.r.next().map_err(|m| trail.err(m))?;
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
            let elements = decode_elements(d, n, |_| Some(&**ety), trail, depth)?;
            Ok(match ty {
                Type::Set(_) => Value::Set(set::dedup(elements)),
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
            decode_elements(d, n, |i| etys.get(i), trail, depth).map(Value::Tuple)
        }
        Type::Map(ety) => {
            let Token::Map(n) = token else {
                return Err(mismatch(trail, ty, &token));
            };
            decode_entries(d, n, |_| Some(&**ety), Entries::MapKeys, trail, depth).map(Value::Map)
        }
        Type::Object(attrs) => {
            let Token::Map(n) = token else {
                return Err(mismatch(trail, ty, &token));
            };
            let mut out = decode_entries(d, n, |k| attrs.get(k), Entries::Attrs, trail, depth)?;
            for name in attrs.keys() {
                if !out.contains_key(name) {
                    out.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => decode_dynamic(d, &token, trail, depth),
    }
}

fn utf8(bytes: &[u8], trail: &Trail<'_>) -> Result<String, CtyError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| trail.err(format!("string is not valid UTF-8: {e}")))
}

fn decode_number(token: &Token<'_>, trail: &Trail<'_>) -> Result<Number, CtyError> {
    // Exactly the float's binary value, as cty's NumberFloatVal: it encodes back to the
    // same float (or to an int when it is one in i64 range).
    let float = |f: f64| {
        Number::from_f64_exact(f)
            .ok_or_else(|| trail.err(format!("number must be finite, got {f}")))
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
    d: &mut Decoder<'_>,
    n: u32,
    element_type: impl Fn(usize) -> Option<&'t Type>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<Vec<Value>, CtyError> {
    // Bounded by the bytes left: see `Decoder`.
    let n = d.open(n, ARRAY_ELEMENT_BYTES).map_err(|m| trail.err(m))?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let ety = element_type(i).ok_or_else(|| trail.err("too many elements"))?;
        d.start_element(ARRAY_ELEMENT_BYTES);
        out.push(decode_value(d, ety, &Trail::Index(trail, i), depth + 1)?);
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
    d: &mut Decoder<'_>,
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
    let n = d.open(n, MAP_ENTRY_BYTES).map_err(|m| trail.err(m))?;
    let mut out = BTreeMap::new();
    for _ in 0..n {
        d.start_element(MAP_ENTRY_BYTES);
        let key = match d.r.next().map_err(|m| trail.err(m))? {
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
        let value = decode_value(d, ety, &child, depth + 1)?;
        out.insert(key, value);
    }
    Ok(out)
}

/// A dynamically-typed value: `[type JSON as bin or str, value]`.
fn decode_dynamic(
    d: &mut Decoder<'_>,
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
    let type_json = match d.r.next().map_err(|m| trail.err(m))? {
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
    let value = decode_value(d, &ty, trail, depth + 1)?;
    Ok(Value::Dynamic(ty, Box::new(value)))
}
