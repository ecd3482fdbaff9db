//! Translations between the framework's types and the wire messages.

use cty::{Path, PathStep, Type, Value};
use tfplugin6::tfplugin6 as proto;

use crate::framework::{
    Attribute, Block, Diagnostics, Mode, NestedBlock, Nesting, Schema, Severity,
};

/// Decodes a DynamicValue (msgpack, or JSON when that is all there is).
pub fn decode(value: Option<&proto::DynamicValue>, ty: &Type) -> Result<Value, Diagnostics> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        cty::msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        cty::json::decode(&value.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| {
        Diagnostics::attribute_error(
            e.path().clone(),
            "Invalid value from Terraform",
            format!("The provider could not decode a value Terraform sent: {e}"),
        )
    })
}

/// True for a null value (msgpack nil, JSON `null`, or nothing at all).
pub fn is_null(value: &proto::DynamicValue) -> bool {
    let json = value.json.trim_ascii();
    (value.msgpack.is_empty() || value.msgpack == [0xc0]) && (json.is_empty() || json == b"null")
}

pub fn encode(value: &Value, ty: &Type) -> Result<proto::DynamicValue, Diagnostics> {
    let msgpack = cty::msgpack::encode(value, ty).map_err(|e| {
        Diagnostics::attribute_error(
            e.path().clone(),
            "Provider produced an invalid value",
            format!("{e}. This is a bug in the provider."),
        )
    })?;
    Ok(proto::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

pub fn diagnostics(diags: Diagnostics) -> Vec<proto::Diagnostic> {
    diags
        .0
        .into_iter()
        .map(|d| proto::Diagnostic {
            severity: match d.severity {
                Severity::Error => proto::diagnostic::Severity::Error as i32,
                Severity::Warning => proto::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary,
            detail: d.detail,
            attribute: d
                .path
                .filter(|p| !p.steps().is_empty())
                .map(|p| attribute_path(&p)),
        })
        .collect()
}

pub fn attribute_path(path: &Path) -> proto::AttributePath {
    use proto::attribute_path::{Step, step::Selector};
    let steps = path
        .steps()
        .iter()
        .map(|s| Step {
            selector: Some(match s {
                PathStep::Attr(name) => Selector::AttributeName(name.clone()),
                PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                PathStep::Index(i) => Selector::ElementKeyInt(*i),
            }),
        })
        .collect();
    proto::AttributePath { steps }
}

pub fn schema(schema: &Schema) -> proto::Schema {
    proto::Schema {
        version: schema.version,
        block: Some(block(&schema.block)),
    }
}

fn block(b: &Block) -> proto::schema::Block {
    proto::schema::Block {
        version: 0,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.to_string(),
        description_kind: proto::StringKind::Markdown as i32,
        deprecated: false,
    }
}

fn attribute(a: &Attribute) -> proto::schema::Attribute {
    proto::schema::Attribute {
        name: a.name.to_string(),
        r#type: a.ty.to_json_bytes(),
        nested_type: None,
        description: a.description.to_string(),
        required: a.mode == Mode::Required,
        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
        computed: matches!(a.mode, Mode::Computed | Mode::OptionalComputed),
        sensitive: a.sensitive,
        description_kind: proto::StringKind::Markdown as i32,
        deprecated: false,
        write_only: false,
    }
}

fn nested_block(n: &NestedBlock) -> proto::schema::NestedBlock {
    use proto::schema::nested_block::NestingMode;
    proto::schema::NestedBlock {
        type_name: n.name.to_string(),
        block: Some(block(&n.block)),
        nesting: match n.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
        } as i32,
        min_items: n.min_items,
        max_items: n.max_items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_attribute_name_and_index_steps() {
        let p = attribute_path(&Path::root().attr("ingress").index(0).attr("from_port"));
        assert_eq!(p.steps.len(), 3);
    }

    #[test]
    fn missing_dynamic_value_is_null() {
        assert!(decode(None, &Type::String).unwrap().is_null());
    }
}
