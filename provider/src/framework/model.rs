//! Typed models: resources work with plain Rust structs (serde), and the
//! framework converts between those and cty values of the schema's type.
//! Unknown values read as null; a model never carries an unknown.

use cty::{Number, Type, Value};
use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned, Deserializer};

use super::diagnostics::Diagnostics;

/// Reads a cty value into a model.
pub fn from_value<M: DeserializeOwned>(value: &Value) -> Result<M, Diagnostics> {
    serde_json::from_value(to_json(value)).map_err(|e| {
        Diagnostics::error(
            "Provider could not read its own value",
            format!(
                "The value does not match the resource's model: {e}. This is a bug in the provider."
            ),
        )
    })
}

/// Writes a model as a cty value of type `ty`.
pub fn to_value<M: Serialize>(model: &M, ty: &Type) -> Result<Value, Diagnostics> {
    let bytes = serde_json::to_vec(model).map_err(|e| {
        Diagnostics::error(
            "Provider could not write its own value",
            format!("{e}. This is a bug in the provider."),
        )
    })?;
    cty::json::decode(&bytes, ty).map_err(|e| {
        Diagnostics::error(
            "Provider produced a value that does not fit its schema",
            format!("{e}. This is a bug in the provider."),
        )
    })
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null | Value::Unknown => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => number_to_json(n),
        Value::String(s) => J::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            J::Array(items.iter().map(to_json).collect())
        }
        Value::Map(fields) | Value::Object(fields) => J::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Dynamic(_, inner) => to_json(inner),
    }
}

fn number_to_json(n: &Number) -> serde_json::Value {
    match n.as_i64() {
        Some(i) => serde_json::Value::from(i),
        None => serde_json::Number::from_f64(n.as_f64())
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
    }
}

/// `#[serde(deserialize_with = "null_as_default")]`: a null list, map or
/// string reads as its empty value.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
