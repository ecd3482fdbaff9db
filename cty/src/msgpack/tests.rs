//! The msgpack codec on values of every shape: unknowns, objects, sets,
//! dynamic values, and errors that name the path.

use rmpv::Value as Mp;

use super::{decode, encode};
use crate::{Number, Type, Value};

pub(super) fn mp(v: &Mp) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, v).unwrap();
    out
}

pub(super) fn s(x: &str) -> Mp {
    Mp::from(x)
}

pub(super) fn num(x: &str) -> Value {
    Value::Number(Number::parse(x).unwrap())
}

pub(super) fn err(bytes: &[u8], ty: &Type) -> String {
    match decode(bytes, ty) {
        Ok(v) => panic!("decoded {v:?}"),
        Err(e) => e.to_string(),
    }
}

pub(super) fn instance_type() -> Type {
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
