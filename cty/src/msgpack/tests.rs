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
    let two_70_plus_1 = "1180591620717411303425";
    let cases: [(&str, Mp); 11] = [
        // An integer beyond i64 that is exactly a float is written as a float, as cty does.
        (two_70, Mp::F64(2f64.powi(70))),
        (two_70_plus_1, s(two_70_plus_1)),
        ("0.1", s("0.1")),
        ("0.5", Mp::F64(0.5)),
        ("-7", Mp::from(-7)),
        ("9223372036854775808", Mp::F64(2f64.powi(63))),
        ("18446744073709551615", Mp::from(u64::MAX)),
        ("-9223372036854775808", Mp::from(i64::MIN)),
        ("123456789.000000001", s("123456789.000000001")),
        ("-1e-100", s("-1e-100")),
        ("1e400", s("1e400")),
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
    assert!(err(&mp(&Mp::F64(f64::NAN)), &Type::Number).contains("finite"));
    assert!(err(&mp(&Mp::F32(f32::INFINITY)), &Type::Number).contains("finite"));
    assert!(err(&mp(&s("12abc")), &Type::Number).contains("expected number, got string"));
}

#[test]
fn floats_decode_to_their_exact_binary_value() {
    // 0.1 as a float64 is not the decimal 0.1 but the binary value nearest to it.
    let tenth = decode(&mp(&Mp::F64(0.1)), &Type::Number).unwrap();
    assert_eq!(
        tenth,
        num("0.1000000000000000055511151231257827021181583404541015625")
    );
    assert_ne!(tenth, num("0.1"));
    // A float32 widens exactly.
    assert_eq!(
        decode(&mp(&Mp::F32(0.1)), &Type::Number).unwrap(),
        num("0.100000001490116119384765625")
    );
    // Integral floats: an int when in i64 range, otherwise the exact integer.
    assert_eq!(
        decode(&mp(&Mp::F64(-3.0)), &Type::Number).unwrap(),
        Value::from(-3i64)
    );
    assert_eq!(
        decode(&mp(&Mp::F64(1e23)), &Type::Number).unwrap(),
        num("99999999999999991611392")
    );
}

#[test]
fn floats_encode_back_to_the_same_bits() {
    for f in [
        0.1,
        -0.1,
        1.0 / 3.0,
        1e23,
        1e300,
        -1e-300,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        f64::from_bits(1),
        f64::from_bits(0x000f_ffff_ffff_ffff),
        2f64.powi(63),
        2f64.powi(64),
        9.3e18,
        123456.789,
    ] {
        let wire = mp(&Mp::F64(f));
        let v = decode(&wire, &Type::Number).unwrap();
        assert_eq!(encode(&v, &Type::Number).unwrap(), wire, "{f:e}");
        // Through JSON (state) and back: still the same float.
        let json = crate::json::encode(&v, &Type::Number).unwrap();
        let back = crate::json::decode(&json, &Type::Number).unwrap();
        assert_eq!(back, v, "{f:e}");
        assert_eq!(encode(&back, &Type::Number).unwrap(), wire, "{f:e}");
    }
    // float32 comes back as the float64 of the same value.
    let v = decode(&mp(&Mp::F32(0.1)), &Type::Number).unwrap();
    assert_eq!(
        encode(&v, &Type::Number).unwrap(),
        mp(&Mp::F64(f64::from(0.1f32)))
    );
    // An integral float in i64 range becomes an int, as cty does; -0.0 is 0.
    assert_eq!(
        encode(
            &decode(&mp(&Mp::F64(-2.0)), &Type::Number).unwrap(),
            &Type::Number
        )
        .unwrap(),
        mp(&Mp::from(-2))
    );
    assert_eq!(
        encode(
            &decode(&mp(&Mp::F64(-0.0)), &Type::Number).unwrap(),
            &Type::Number
        )
        .unwrap(),
        [0x00]
    );
}

#[test]
fn big_decimal_strings_stay_exact() {
    for text in [
        "18446744073709551617",
        "-9223372036854775809",
        "340282366920938463463374607431768211457",
        "1e400",
        "-2.5e-400",
        "0.30000000000000000000000000000000000001",
        "123456789012345678901234567890.123456789012345678901234567890",
    ] {
        let v = decode(&mp(&s(text)), &Type::Number).unwrap();
        assert_eq!(v, num(text), "{text}");
        let bytes = encode(&v, &Type::Number).unwrap();
        let Mp::String(wire) = rmpv::decode::read_value(&mut &bytes[..]).unwrap() else {
            panic!("{text} not written as a string");
        };
        assert_eq!(num(wire.as_str().unwrap()), v, "{text}");
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), v, "{text}");
    }
}

#[test]
fn sets_hold_each_distinct_element_once() {
    let ty = Type::set(Type::Number);
    let input = Mp::Array(vec![
        Mp::from(1),
        Mp::F64(1.0),
        s("1.0"),
        s("1e0"),
        Mp::F64(0.5),
        s("0.5"),
        Mp::from(2),
        // The float 0.1 and the decimal 0.1 are different numbers.
        Mp::F64(0.1),
        s("0.1"),
    ]);
    let v = decode(&mp(&input), &ty).unwrap();
    assert_eq!(
        v,
        Value::Set(vec![
            1i64.into(),
            num("0.5"),
            2i64.into(),
            num("0.1000000000000000055511151231257827021181583404541015625"),
            num("0.1"),
        ])
    );

    // Unknown elements stay apart, also when they are only partly unknown.
    let obj = Type::object([("a", Type::String), ("b", Type::Number)]);
    let ty = Type::set(obj.clone());
    let unknown = Mp::Ext(0, vec![0]);
    let input = Mp::Array(vec![
        Mp::Map(vec![(s("a"), s("x")), (s("b"), Mp::from(1))]),
        Mp::Map(vec![(s("b"), Mp::F64(1.0)), (s("a"), s("x"))]),
        Mp::Map(vec![(s("a"), s("x"))]),
        Mp::Map(vec![(s("a"), s("x")), (s("b"), Mp::Nil)]),
        Mp::Map(vec![(s("a"), unknown.clone()), (s("b"), Mp::from(1))]),
        Mp::Map(vec![(s("a"), unknown.clone()), (s("b"), Mp::from(1))]),
        unknown.clone(),
        unknown.clone(),
    ]);
    let v = decode(&mp(&input), &ty).unwrap();
    let elements = v.as_elements().unwrap();
    assert_eq!(elements.len(), 6, "{v:?}");
    assert_eq!(elements.iter().filter(|e| e.is_unknown()).count(), 2);
    assert_eq!(elements.iter().filter(|e| !e.is_wholly_known()).count(), 4);

    // Sets of sets and sets in objects are deduplicated at every level.
    let ty = Type::set(Type::set(Type::String));
    let input = Mp::Array(vec![
        Mp::Array(vec![s("a"), s("b"), s("a")]),
        Mp::Array(vec![s("b"), s("a")]),
    ]);
    let v = decode(&mp(&input), &ty).unwrap();
    assert_eq!(v, Value::Set(vec![Value::set(["a".into(), "b".into()])]));
    let v = decode(
        &mp(&Mp::Map(vec![(
            s("zones"),
            Mp::Array(vec![s("a"), s("a")]),
        )])),
        &instance_type(),
    )
    .unwrap();
    assert_eq!(v.get_attr("zones"), Some(&Value::Set(vec!["a".into()])));

    // A list keeps its duplicates.
    let list = decode(
        &mp(&Mp::Array(vec![Mp::from(1), Mp::from(1)])),
        &Type::list(Type::Number),
    )
    .unwrap();
    assert_eq!(list.as_elements().map(<[_]>::len), Some(2));
}

#[test]
fn encoding_a_set_writes_each_distinct_element_once() {
    let ty = Type::set(Type::Number);
    let v = Value::Set(vec![
        1i64.into(),
        num("1.0"),
        Value::Unknown,
        Value::Unknown,
    ]);
    let bytes = encode(&v, &ty).unwrap();
    assert_eq!(
        rmpv::decode::read_value(&mut &bytes[..]).unwrap(),
        Mp::Array(vec![Mp::from(1), Mp::Ext(0, vec![0]), Mp::Ext(0, vec![0])])
    );
    let v = Value::List(vec!["a".into(), "a".into()]);
    assert_eq!(
        decode(
            &encode(&v, &Type::set(Type::String)).unwrap(),
            &Type::set(Type::String)
        )
        .unwrap(),
        Value::Set(vec!["a".into()])
    );
    assert_eq!(
        encode(&v, &Type::list(Type::String)).unwrap(),
        mp(&Mp::Array(vec![s("a"), s("a")]))
    );
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
}

#[test]
fn huge_declared_lengths_fail_before_allocating() {
    let start = std::time::Instant::now();
    let list = Type::list(Type::Number);
    let map = Type::map(Type::Number);
    let hostile: [(&[u8], &Type); 8] = [
        // array32 / map32 declaring 2^32-1 elements in a 5-byte input.
        (&[0xdd, 0xff, 0xff, 0xff, 0xff], &list),
        (&[0xdf, 0xff, 0xff, 0xff, 0xff], &map),
        (&[0xdf, 0xff, 0xff, 0xff, 0xff], &instance_type()),
        (&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::set(Type::String)),
        // str32 / bin32 / ext32 declaring 4 GiB.
        (&[0xdb, 0xff, 0xff, 0xff, 0xff], &Type::String),
        (&[0xc6, 0xff, 0xff, 0xff, 0xff], &Type::String),
        (&[0xc9, 0xff, 0xff, 0xff, 0xff, 0x00], &Type::String),
        // array16 of 65535 with only three elements present.
        (&[0xdc, 0xff, 0xff, 0x01, 0x02, 0x03], &list),
    ];
    for (bytes, ty) in hostile {
        assert!(
            err(bytes, ty).contains("end of msgpack input"),
            "{bytes:x?}"
        );
    }
    // Nested headers each declaring more than is left: every level is refused, not
    // only the innermost, so nothing is reserved for the outer ones either.
    let mut nested = Vec::new();
    let mut ty = Type::Number;
    for _ in 0..100 {
        nested.extend_from_slice(&[0xdd, 0x00, 0x00, 0x10, 0x00]);
        ty = Type::list(ty);
    }
    assert!(err(&nested, &ty).contains("4096 declared elements"));
    // An outer array whose elements are all claimed leaves no room for an inner one that
    // declares more than the bytes after it minus those its siblings need.
    let squeezed = [0x93, 0x92, 0x01, 0x02, 0x03];
    assert!(err(&squeezed, &Type::list(Type::list(Type::Number))).contains("end of msgpack"));
    // A map entry needs a key and a value: two bytes.
    assert!(err(&[0x82, 0xa1, b'a', 0x01], &map).contains("2 declared elements need at least 4"));
    // Exactly as many bytes as declared is fine.
    assert_eq!(
        decode(&[0x93, 0x01, 0x02, 0x03], &list).unwrap(),
        Value::list([1i64.into(), 2i64.into(), 3i64.into()])
    );
    assert_eq!(
        decode(&[0x92, 0x91, 0x01, 0x90], &Type::list(list.clone())).unwrap(),
        Value::list([Value::list([1i64.into()]), Value::list([])])
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn claims_are_bounded_by_the_bytes_left() {
    use super::decode::claim;
    assert_eq!(claim(0, 1, 0), Ok(0));
    assert_eq!(claim(3, 1, 3), Ok(3));
    assert_eq!(claim(3, 2, 6), Ok(3));
    assert!(claim(3, 2, 5).is_err());
    assert!(claim(1, 1, 0).is_err());
    assert!(claim(u32::MAX, 1, 4).is_err());
    assert_eq!(claim(u32::MAX, 1, usize::MAX), Ok(u32::MAX as usize));
    let msg = claim(u32::MAX, 2, 0).unwrap_err();
    assert!(msg.contains("8589934590 bytes, 0 left"), "{msg}");
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
