use rmpv::Value as Mp;

use super::{decode, encode};
use crate::{Number, Type, Value};

fn mp(v: &Mp) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, v).unwrap();
    out
}

fn s(x: &str) -> Mp {
    Mp::from(x)
}

fn num(x: &str) -> Value {
    Value::Number(Number::parse(x).unwrap())
}

fn err(bytes: &[u8], ty: &Type) -> String {
    match decode(bytes, ty) {
        Ok(v) => panic!("decoded {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn instance_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("ports", Type::list(Type::Number)),
        ("zones", Type::set(Type::String)),
        ("tags", Type::map(Type::String)),
        (
            "ingress",
            Type::list(Type::object([
                ("from_port", Type::Number),
                ("cidr", Type::String),
            ])),
        ),
    ])
}

#[test]
fn unknown_extensions_decode_as_unknown() {
    assert!(
        decode(&[0xd4, 0x00, 0x00], &Type::String)
            .unwrap()
            .is_unknown()
    );
    // Refined unknown: ext 12 with a payload of refinements, at several types.
    let refined = mp(&Mp::Ext(
        12,
        mp(&Mp::Map(vec![(Mp::from(1), Mp::from(true))])),
    ));
    for ty in [Type::String, Type::Number, instance_type(), Type::Dynamic] {
        assert_eq!(decode(&refined, &ty).unwrap(), Value::Unknown);
    }
    assert_eq!(
        decode(&[0xd5, 0x0c, 0x01, 0x02], &Type::Bool).unwrap(),
        Value::Unknown
    );
    let inside = mp(&Mp::Map(vec![(s("name"), Mp::Ext(0, vec![0]))]));
    let v = decode(&inside, &instance_type()).unwrap();
    assert!(v.get_attr("name").unwrap().is_unknown());
    assert!(!v.is_wholly_known());
}

#[test]
fn unknown_encodes_as_d40000() {
    assert_eq!(
        encode(&Value::Unknown, &Type::String).unwrap(),
        [0xd4, 0x00, 0x00]
    );
    assert_eq!(
        encode(&Value::Unknown, &Type::Dynamic).unwrap(),
        [0xd4, 0x00, 0x00]
    );
    assert_eq!(encode(&Value::Null, &instance_type()).unwrap(), [0xc0]);
}

#[test]
fn nested_object_in_any_key_order() {
    let input = Mp::Map(vec![
        (s("zones"), Mp::Array(vec![s("b"), s("a")])),
        (
            s("tags"),
            Mp::Map(vec![(s("Name"), s("web")), (s("env"), Mp::Nil)]),
        ),
        (s("name"), Mp::Binary(b"web".to_vec())),
        (
            s("ports"),
            Mp::Array(vec![Mp::from(80), Mp::F64(0.5), s("1e30")]),
        ),
        (
            s("ingress"),
            Mp::Array(vec![Mp::Map(vec![(s("from_port"), Mp::from(443u64))])]),
        ),
    ]);
    let ty = instance_type();
    let v = decode(&mp(&input), &ty).unwrap();
    let expected = Value::object([
        ("name", Value::string("web")),
        (
            "ports",
            Value::list([80i64.into(), num("0.5"), num("1e30")]),
        ),
        ("zones", Value::set(["a".into(), "b".into()])),
        (
            "tags",
            Value::map([("Name", "web".into()), ("env", Value::Null)]),
        ),
        (
            "ingress",
            Value::list([Value::object([
                ("from_port", 443i64.into()),
                ("cidr", Value::Null),
            ])]),
        ),
    ]);
    assert!(v.semantic_eq(&expected), "{v:?}");
    assert_eq!(
        v.get_attr("ingress").unwrap().as_elements().unwrap()[0].get_attr("cidr"),
        Some(&Value::Null)
    );

    let bytes = encode(&v, &ty).unwrap();
    let back = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
    let Mp::Map(entries) = &back else {
        panic!("{back}")
    };
    let keys: Vec<_> = entries.iter().map(|(k, _)| k.as_str().unwrap()).collect();
    assert_eq!(keys, ["ingress", "name", "ports", "tags", "zones"]);
    assert_eq!(
        back["ports"],
        Mp::Array(vec![
            Mp::from(80),
            Mp::F64(0.5),
            s("1000000000000000000000000000000")
        ])
    );
    assert_eq!(back["ingress"][0]["cidr"], Mp::Nil);
    assert!(decode(&bytes, &ty).unwrap().semantic_eq(&expected));
}

#[test]
fn numbers_round_trip_exactly() {
    let two_70 = "1180591620717411303424";
    let cases: [(&str, Mp); 8] = [
        (two_70, s(two_70)),
        ("0.1", s("0.1")),
        ("0.5", Mp::F64(0.5)),
        ("-7", Mp::from(-7)),
        ("9223372036854775808", Mp::from(9223372036854775808u64)),
        ("-9223372036854775808", Mp::from(i64::MIN)),
        ("123456789.000000001", s("123456789.000000001")),
        ("-1e-100", s("-1e-100")),
    ];
    for (text, wire) in cases {
        let n = num(text);
        let bytes = encode(&n, &Type::Number).unwrap();
        assert_eq!(
            rmpv::decode::read_value(&mut &bytes[..]).unwrap(),
            wire,
            "{text}"
        );
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), n, "{text}");
    }
    assert_eq!(
        decode(&mp(&Mp::F32(0.25)), &Type::Number).unwrap(),
        num("0.25")
    );
    assert_eq!(
        decode(&mp(&Mp::F64(0.1)), &Type::Number).unwrap(),
        num("0.1")
    );
    assert!(err(&mp(&Mp::F64(f64::NAN)), &Type::Number).contains("finite"));
    assert!(err(&mp(&s("12abc")), &Type::Number).contains("expected number, got string"));
}

#[test]
fn unknown_attribute_error_names_the_path() {
    let input = Mp::Map(vec![(
        s("ingress"),
        Mp::Array(vec![Mp::Map(vec![(s("bogus"), Mp::from(1))])]),
    )]);
    let msg = err(&mp(&input), &instance_type());
    assert_eq!(msg, "at ingress[0]: unsupported attribute \"bogus\"");
    let input = Mp::Map(vec![(
        s("ports"),
        Mp::Array(vec![Mp::from(1), Mp::Boolean(true)]),
    )]);
    assert_eq!(
        err(&mp(&input), &instance_type()),
        "at ports[1]: expected number, got msgpack bool"
    );
    let input = Mp::Map(vec![(s("tags"), Mp::Map(vec![(s("k"), Mp::from(1))]))]);
    assert_eq!(
        err(&mp(&input), &instance_type()),
        "at tags[\"k\"]: expected string, got msgpack integer"
    );
    let input = Mp::Map(vec![(s("name"), s("a")), (s("name"), s("b"))]);
    assert!(err(&mp(&input), &instance_type()).contains("duplicate attribute"));
    let input = Mp::Map(vec![(Mp::from(1), s("a"))]);
    assert!(err(&mp(&input), &instance_type()).contains("must be strings"));
}

#[test]
fn encode_checks_the_value_against_the_type() {
    let ty = instance_type();
    let extra = Value::object([("bogus", Value::Null)]);
    assert_eq!(
        encode(&extra, &ty).unwrap_err().to_string(),
        "unsupported attribute \"bogus\""
    );
    let wrong = Value::object([(
        "ingress",
        Value::list([Value::object([("from_port", "x".into())])]),
    )]);
    assert_eq!(
        encode(&wrong, &ty).unwrap_err().to_string(),
        "at ingress[0].from_port: expected number, got string"
    );
    let partial = Value::object([("name", "a".into())]);
    let back = rmpv::decode::read_value(&mut &encode(&partial, &ty).unwrap()[..]).unwrap();
    assert_eq!(back.as_map().map(Vec::len), Some(5));
    assert!(encode(&Value::string("x"), &Type::Dynamic).is_err());
    assert!(encode(&Value::tuple([1i64.into()]), &Type::tuple([])).is_err());
}

#[test]
fn dynamic_values_carry_their_type() {
    let ty = Type::list(Type::String);
    let v = Value::dynamic(ty.clone(), Value::list(["a".into(), Value::Unknown]));
    let bytes = encode(&v, &Type::Dynamic).unwrap();
    let wire = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
    assert_eq!(wire[0], Mp::Binary(br#"["list","string"]"#.to_vec()));
    assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), v);
    let as_str = mp(&Mp::Array(vec![s("\"number\""), Mp::from(3)]));
    assert_eq!(
        decode(&as_str, &Type::Dynamic).unwrap(),
        Value::dynamic(Type::Number, 3i64.into())
    );
    assert_eq!(decode(&[0xc0], &Type::Dynamic).unwrap(), Value::Null);
    let typed_null = Value::dynamic(Type::String, Value::Null);
    assert_eq!(
        decode(
            &encode(&typed_null, &Type::Dynamic).unwrap(),
            &Type::Dynamic
        )
        .unwrap(),
        typed_null
    );
    assert!(
        err(
            &mp(&Mp::Array(vec![s("\"nope\""), Mp::Nil])),
            &Type::Dynamic
        )
        .contains("dynamic value")
    );
    assert!(err(&mp(&Mp::Array(vec![s("\"string\"")])), &Type::Dynamic).contains("[type, value]"));
    assert!(err(&mp(&s("x")), &Type::Dynamic).contains("[type, value]"));
}

#[test]
fn trailing_bytes_and_bad_input_are_rejected() {
    assert!(err(&[0xc3, 0x00], &Type::Bool).contains("1 trailing bytes"));
    assert!(err(&[], &Type::Bool).contains("end of msgpack input"));
    assert!(err(&[0xc1], &Type::Bool).contains("0xc1"));
    assert!(err(&[0xa2, 0xff, 0xfe], &Type::String).contains("UTF-8"));
    assert!(
        err(
            &mp(&Mp::Array(vec![Mp::from(1)])),
            &Type::tuple([Type::Number, Type::Number])
        )
        .contains("2 elements")
    );
    // A huge declared length with no data behind it allocates nothing and fails cleanly.
    assert!(
        err(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::Number))
            .contains("end of msgpack input")
    );
    assert!(
        err(&[0xdf, 0xff, 0xff, 0xff, 0xff], &Type::map(Type::Number))
            .contains("end of msgpack input")
    );
}

#[test]
fn deep_nesting_is_rejected_without_overflow() {
    // Dynamic values can nest without bound in the input: [["list","dynamic"], [[...]]].
    let mut bytes = Vec::new();
    for _ in 0..100_000 {
        bytes.push(0x92);
        bytes.extend(mp(&s(r#"["list","dynamic"]"#)));
        bytes.push(0x91);
    }
    bytes.push(0xc0);
    assert!(err(&bytes, &Type::Dynamic).contains("nested more than 128"));
    // A deeply nested type given in code is bounded the same way.
    let mut ty = Type::Bool;
    let mut nested = vec![0xc3];
    for _ in 0..200 {
        ty = Type::list(ty);
        nested.insert(0, 0x91);
    }
    assert!(err(&nested, &ty).contains("nested more than 128"));
    let mut v = Value::Bool(true);
    for _ in 0..200 {
        v = Value::list([v]);
    }
    assert!(
        encode(&v, &ty)
            .unwrap_err()
            .to_string()
            .contains("nested more than 128")
    );
    // A deeply nested type JSON inside a dynamic value hits the JSON parser's limit.
    let deep_type = format!(
        "{}\"string\"{}",
        "[\"list\",".repeat(5000),
        "]".repeat(5000)
    );
    assert!(
        err(
            &mp(&Mp::Array(vec![s(&deep_type), Mp::Nil])),
            &Type::Dynamic
        )
        .contains("dynamic value")
    );
}
