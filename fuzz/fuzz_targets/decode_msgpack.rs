//! Decodes arbitrary bytes as msgpack against a nested object type and against the
//! dynamic type; whatever decodes must re-encode, and re-encoding must be stable.

#![no_main]

use cty::{Type, Value};
use libfuzzer_sys::fuzz_target;

fn resource_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("count", Type::Number),
        ("enabled", Type::Bool),
        ("zones", Type::set(Type::String)),
        ("tags", Type::map(Type::String)),
        (
            "ingress",
            Type::list(Type::object([
                ("from_port", Type::Number),
                ("cidr_blocks", Type::list(Type::String)),
                ("extra", Type::Dynamic),
            ])),
        ),
        ("pair", Type::tuple([Type::String, Type::map(Type::Number)])),
    ])
}

fn check(data: &[u8], ty: &Type) {
    let Ok(value) = cty::msgpack::decode(data, ty) else {
        return;
    };
    let bytes = cty::msgpack::encode(&value, ty).expect("a decoded value re-encodes");
    let again: Value = cty::msgpack::decode(&bytes, ty).expect("re-encoded bytes decode");
    assert!(again.semantic_eq(&value), "{again:?} != {value:?}");
    let stable = cty::msgpack::encode(&again, ty).expect("second encode");
    assert_eq!(stable, bytes, "encoding is not stable");
    if value.is_wholly_known() {
        let json = cty::json::encode(&value, ty).expect("a known value encodes as JSON");
        let back = cty::json::decode(&json, ty).expect("JSON of a decoded value decodes");
        assert!(back.semantic_eq(&value), "JSON: {back:?} != {value:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data, &resource_type());
    check(data, &Type::Dynamic);
});
