//! UpgradeResourceState: a stored state, as JSON at the schema version that
//! wrote it, made into a value of the current schema.
//!
//! - A state from an older schema version goes through the resource's
//!   upgrader once per version, oldest first.
//! - Attributes the schema no longer has are dropped (removing an attribute
//!   does not need a new schema version).
//! - A state newer than the schema, or one only in the legacy flatmap form
//!   (written by Terraform 0.11 and older), is refused with a diagnostic,
//!   never read as "no state".

use cty::{Type, Value};
use serde_json::Value as Json;

use super::diagnostics::Diagnostics;
use super::schema::{Block, Nesting, Schema};

/// Rewrites a state of schema version `from` into the form of `from + 1`.
pub type Upgrader<'a> = dyn Fn(i64, Json) -> Result<Json, Diagnostics> + 'a;

/// The error of a resource without an upgrader for schema version `from`.
pub fn cannot_upgrade(type_name: &str, from: i64) -> Diagnostics {
    Diagnostics::error(
        "Cannot upgrade the stored state",
        format!("This provider cannot upgrade {type_name} state from schema version {from}."),
    )
}

/// The upgrader of a resource that never changed its schema version.
pub fn no_upgrader(type_name: &str) -> impl Fn(i64, Json) -> Result<Json, Diagnostics> + '_ {
    move |from, _| Err(cannot_upgrade(type_name, from))
}

/// The stored state `json` (or, from very old Terraform, `flatmap` only),
/// written at schema `version`, as a value of the current schema.
pub fn upgrade_state(
    type_name: &str,
    schema: &Schema,
    ty: &Type,
    version: i64,
    json: &[u8],
    has_flatmap: bool,
    upgrader: &Upgrader<'_>,
) -> Result<Value, Diagnostics> {
    if json.is_empty() {
        if has_flatmap {
            return Err(Diagnostics::error(
                "Unsupported state format",
                format!(
                    "The state of this {type_name} is in the legacy flatmap format of Terraform 0.11 and older, which this provider cannot read. Remove it from the state (terraform state rm) and import the resource again."
                ),
            ));
        }
        return Ok(Value::Null);
    }
    if version > schema.version {
        return Err(Diagnostics::error(
            "State from a newer provider",
            format!(
                "The state of this {type_name} was written with schema version {version}, newer than this provider's {}. Use the provider version that wrote it, or a newer one.",
                schema.version
            ),
        ));
    }
    let unreadable = |e: String| {
        Diagnostics::error(
            "Cannot read the stored state",
            format!("The state of this {type_name} does not match the provider's schema: {e}"),
        )
    };
    let mut bytes = json.to_vec();
    if version < schema.version {
        let mut state: Json =
            serde_json::from_slice(json).map_err(|e| unreadable(e.to_string()))?;
        for from in version..schema.version {
            state = upgrader(from, state)?;
        }
        bytes = serde_json::to_vec(&state).map_err(|e| unreadable(e.to_string()))?;
    }
    // Re-encoded only when something is dropped: serde_json would round a
    // number too long for 64 bits, which the cty decoder keeps exact.
    if let Ok(mut state) = serde_json::from_slice::<Json>(&bytes)
        && prune(&schema.block, &mut state)
    {
        bytes = serde_json::to_vec(&state).map_err(|e| unreadable(e.to_string()))?;
    }
    cty::json::decode(&bytes, ty).map_err(|e| unreadable(e.to_string()))
}

/// Drops attributes the block does not have, in nested blocks too; true
/// when anything was dropped.
fn prune(block: &Block, state: &mut Json) -> bool {
    let Json::Object(fields) = state else {
        return false;
    };
    let before = fields.len();
    fields.retain(|name, _| {
        block.attributes.iter().any(|a| a.name == name)
            || block.blocks.iter().any(|b| b.name == name)
    });
    let mut dropped = fields.len() != before;
    for nested in &block.blocks {
        match (nested.nesting, fields.get_mut(nested.name)) {
            (Nesting::Single, Some(inner)) => dropped |= prune(&nested.block, inner),
            (Nesting::List | Nesting::Set, Some(Json::Array(items))) => {
                for item in items {
                    dropped |= prune(&nested.block, item);
                }
            }
            _ => {}
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{Attribute, NestedBlock};
    use serde_json::json;

    fn schema(version: i64) -> Schema {
        let block = Block::new("t")
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::required("name", Type::String))
            .block(NestedBlock::list(
                "rule",
                Block::new("r").attribute(Attribute::required("port", Type::Number)),
            ));
        Schema { version, block }
    }

    fn run(
        schema: &Schema,
        version: i64,
        json: &[u8],
        flatmap: bool,
    ) -> Result<Value, Diagnostics> {
        let ty = schema.value_type();
        let upgrader = |from: i64, mut state: Json| -> Result<Json, Diagnostics> {
            // Version 0 called the name `title`.
            if from == 0
                && let Json::Object(fields) = &mut state
                && let Some(title) = fields.remove("title")
            {
                fields.insert("name".into(), title);
            }
            Ok(state)
        };
        upgrade_state("test_thing", schema, &ty, version, json, flatmap, &upgrader)
    }

    #[test]
    fn a_current_state_reads_as_it_is() {
        let raw = br#"{"id":"x-1","name":"a","rule":[{"port":80}]}"#;
        let v = run(&schema(0), 0, raw, false).unwrap();
        assert_eq!(v.get_attr("name").unwrap().as_str(), Some("a"));
        let rules = v.get_attr("rule").unwrap().as_elements().unwrap();
        assert_eq!(rules[0].get_attr("port").unwrap().as_i64(), Some(80));
    }

    #[test]
    fn removed_attributes_are_dropped_at_the_same_version() {
        let raw = br#"{"id":"x-1","name":"a","legacy":true,"rule":[{"port":80,"old":"x"}]}"#;
        let v = run(&schema(0), 0, raw, false).unwrap();
        assert_eq!(v.get_attr("id").unwrap().as_str(), Some("x-1"));
        assert!(v.get_attr("legacy").is_none());
    }

    #[test]
    fn an_older_version_goes_through_the_upgrader() {
        let raw = br#"{"id":"x-1","title":"a","rule":[]}"#;
        let v = run(&schema(1), 0, raw, false).unwrap();
        assert_eq!(v.get_attr("name").unwrap().as_str(), Some("a"));
        let none = no_upgrader("test_thing");
        let ty = schema(1).value_type();
        let err = upgrade_state("test_thing", &schema(1), &ty, 0, raw, false, &none).unwrap_err();
        assert!(err.0[0].detail.contains("from schema version 0"), "{err:?}");
    }

    #[test]
    fn a_newer_version_is_refused() {
        let err = run(&schema(0), 3, br#"{"name":"a"}"#, false).unwrap_err();
        assert!(err.0[0].summary.contains("newer"), "{err:?}");
    }

    #[test]
    fn a_flatmap_only_state_is_an_error_not_an_absent_resource() {
        let err = run(&schema(0), 0, b"", true).unwrap_err();
        assert!(err.0[0].detail.contains("flatmap"), "{err:?}");
        assert!(run(&schema(0), 0, b"", false).unwrap().is_null());
    }

    #[test]
    fn big_numbers_stay_exact_when_nothing_is_dropped() {
        let s = Schema::new(Block::new("n").attribute(Attribute::optional("n", Type::Number)));
        let raw = json!({"n": 1})
            .to_string()
            .replace('1', "123456789012345678901234567890");
        let v = run(&s, 0, raw.as_bytes(), false).unwrap();
        let n = v.get_attr("n").unwrap().as_number().unwrap().to_string();
        assert_eq!(n, "123456789012345678901234567890");
    }
}
