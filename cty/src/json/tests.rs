use super::{decode, encode};
use crate::{Number, Type, Value};

fn num(x: &str) -> Value {
    Value::Number(Number::parse(x).unwrap())
}

fn text(v: &Value, ty: &Type) -> String {
    String::from_utf8(encode(v, ty).unwrap()).unwrap()
}

fn err(json: &str, ty: &Type) -> String {
    match decode(json.as_bytes(), ty) {
        Ok(v) => panic!("decoded {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn state_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("count", Type::Number),
        ("zones", Type::set(Type::String)),
        ("tags", Type::map(Type::String)),
        (
            "ingress",
            Type::list(Type::object([
                ("from_port", Type::Number),
                ("cidr", Type::String),
            ])),
        ),
        ("extra", Type::Dynamic),
    ])
}

#[test]
fn state_round_trip() {
    let raw = r#"{"id":"i-1","count":1180591620717411303424,"zones":["b","a"],
        "tags":{"Name":"web \"1\"\n"},"ingress":[{"from_port":0.1}],
        "extra":{"value":["x",2],"type":["tuple",["string","number"]]}}"#;
    let ty = state_type();
    let v = decode(raw.as_bytes(), &ty).unwrap();
    let expected = Value::object([
        ("id", Value::string("i-1")),
        ("count", num("1180591620717411303424")),
        ("zones", Value::set(["a".into(), "b".into()])),
        ("tags", Value::map([("Name", "web \"1\"\n".into())])),
        (
            "ingress",
            Value::list([Value::object([("from_port", num("0.1"))])]),
        ),
        (
            "extra",
            Value::dynamic(
                Type::tuple([Type::String, Type::Number]),
                Value::tuple(["x".into(), 2i64.into()]),
            ),
        ),
    ]);
    assert!(v.semantic_eq(&expected), "{v:?}");
    let out = text(&v, &ty);
    assert_eq!(
        out,
        r#"{"count":1180591620717411303424,"extra":{"value":["x",2],"type":["tuple",["string","number"]]},"id":"i-1","ingress":[{"cidr":null,"from_port":0.1}],"tags":{"Name":"web \"1\"\n"},"zones":["b","a"]}"#
    );
    assert_eq!(decode(out.as_bytes(), &ty).unwrap(), v);
}

#[test]
fn numbers_stay_exact() {
    for s in [
        "1180591620717411303424",
        "0.1",
        "-3",
        "123456789.123456789123456789",
        "1e400",
    ] {
        let v = decode(s.as_bytes(), &Type::Number).unwrap();
        assert_eq!(v, num(s), "{s}");
        assert_eq!(
            decode(&encode(&v, &Type::Number).unwrap(), &Type::Number).unwrap(),
            v
        );
    }
    assert_eq!(text(&num("2e-3"), &Type::Number), "0.002");
}

#[test]
fn primitives_convert_like_cty() {
    assert_eq!(decode(b"\"12\"", &Type::Number).unwrap(), num("12"));
    assert_eq!(decode(b"\"true\"", &Type::Bool).unwrap(), Value::Bool(true));
    assert_eq!(
        decode(b"1.50", &Type::String).unwrap(),
        Value::string("1.50")
    );
    assert_eq!(
        decode(b"false", &Type::String).unwrap(),
        Value::string("false")
    );
    assert_eq!(decode(b" null ", &state_type()).unwrap(), Value::Null);
    assert!(err("\"yes\"", &Type::Bool).contains("expected bool, got JSON string"));
    assert!(err("\"x1\"", &Type::Number).contains("expected number"));
}

#[test]
fn errors_name_the_path() {
    let ty = state_type();
    assert_eq!(
        err(r#"{"ingress":[{"from_port":1,"bogus":2}]}"#, &ty),
        "at ingress[0]: unsupported attribute \"bogus\""
    );
    assert_eq!(
        err(r#"{"tags":{"a":[]}}"#, &ty),
        "at tags[\"a\"]: expected string, got JSON array"
    );
    assert!(err(r#"{"id":"a","id":"b"}"#, &ty).contains("duplicate attribute"));
    assert!(err(r#"{"extra":{"value":1}}"#, &ty).starts_with("at extra: a dynamic value needs"));
    assert!(err(r#"{"extra":{"value":1,"type":"number","x":1}}"#, &ty).contains("invalid key"));
    assert!(err(r#"{"extra":{"value":1,"type":"nope"}}"#, &ty).contains("dynamic value"));
    assert!(err(r#"{"extra":5}"#, &ty).contains("expected a dynamic value"));
    assert!(err("[1,2]", &Type::tuple([Type::Number])).contains("1 elements"));
    assert!(err("{} x", &ty).contains("trailing"));
    assert!(decode(b"\"\xff\"", &Type::String).is_err());
}

#[test]
fn unknown_is_not_representable() {
    let v = Value::object([("id", Value::Unknown)]);
    assert_eq!(
        encode(&v, &state_type()).unwrap_err().to_string(),
        "at id: an unknown value cannot be represented in JSON"
    );
}

#[test]
fn control_characters_are_escaped() {
    let s = "a\u{1}b\\\t\r";
    let out = text(&Value::string(s), &Type::String);
    assert_eq!(out, "\"a\\u0001b\\\\\\t\\r\"");
    assert_eq!(
        decode(out.as_bytes(), &Type::String).unwrap(),
        Value::string(s)
    );
}

#[test]
fn deep_nesting_is_rejected() {
    let mut ty = Type::Bool;
    for _ in 0..200 {
        ty = Type::list(ty);
    }
    let doc = format!("{}true{}", "[".repeat(200), "]".repeat(200));
    assert!(err(&doc, &ty).contains("nested more than 128"));
    let doc = r#"{"value":"#.repeat(10_000);
    assert!(decode(doc.as_bytes(), &Type::Dynamic).is_err());
}

#[test]
fn sets_hold_each_distinct_element_once() {
    let ty = Type::set(Type::Number);
    let v = decode(b"[1, 1.0, \"1\", 10e-1, 2, 0.5, 5e-1]", &ty).unwrap();
    assert_eq!(v, Value::Set(vec![num("1"), num("2"), num("0.5")]));
    let ty = Type::set(Type::object([("a", Type::String), ("b", Type::Number)]));
    let v = decode(
        br#"[{"a":"x","b":1},{"b":1.00,"a":"x"},{"a":"x"},{"a":"x","b":null},{"a":"y"}]"#,
        &ty,
    )
    .unwrap();
    assert_eq!(v.as_elements().map(<[_]>::len), Some(3), "{v:?}");
    assert_eq!(
        text(
            &Value::Set(vec![num("1"), num("1.0"), num("3")]),
            &Type::set(Type::Number)
        ),
        "[1,3]"
    );
    assert_eq!(
        text(
            &Value::List(vec!["a".into(), "a".into()]),
            &Type::set(Type::String)
        ),
        "[\"a\"]"
    );
    assert_eq!(
        text(
            &Value::List(vec!["a".into(), "a".into()]),
            &Type::list(Type::String)
        ),
        "[\"a\",\"a\"]"
    );
}

#[test]
fn floats_are_written_exactly() {
    // A float decoded from msgpack keeps its binary value through state.
    let tenth = crate::Number::from_f64_exact(0.1).unwrap();
    let out = text(&Value::Number(tenth.clone()), &Type::Number);
    assert_eq!(
        out,
        "0.1000000000000000055511151231257827021181583404541015625"
    );
    assert_eq!(
        decode(out.as_bytes(), &Type::Number).unwrap(),
        Value::Number(tenth)
    );
    let tiny = crate::Number::from_f64_exact(f64::from_bits(1)).unwrap();
    let out = text(&Value::Number(tiny.clone()), &Type::Number);
    assert!(out.ends_with("e-324"), "{out}");
    assert_eq!(
        decode(out.as_bytes(), &Type::Number).unwrap(),
        Value::Number(tiny)
    );
}

#[test]
fn big_inputs_fail_in_proportion_to_their_size() {
    // JSON declares no lengths: an unterminated array is read item by item and fails
    // at the end of the input, having held memory for what was actually there.
    let doc = format!("[{}", "1,".repeat(100_000));
    assert!(err(&doc, &Type::list(Type::Number)).contains("invalid JSON"));
    let doc = format!("[{}\"x\"]", "1,".repeat(100_000));
    assert!(err(&doc, &Type::list(Type::Number)).contains("at [100000]: expected number"));
}
