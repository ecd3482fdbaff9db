//! Property tests: values survive both codecs, numbers and floats stay exact, and no
//! input makes a decoder panic.

#![allow(clippy::unwrap_used)]

use cty::{Number, Type, Value};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

fn arb_name() -> impl Strategy<Value = String> {
    "[a-z_]{1,6}"
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            btree_map(arb_name(), inner.clone(), 0..4).prop_map(Type::Object),
            vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        any::<f64>().prop_filter_map("finite", Number::from_f64_exact),
        "-?[0-9]{1,30}(\\.[0-9]{1,25})?(e-?[0-9]{1,3})?".prop_map(|s| Number::parse(&s).unwrap()),
        Just(Number::parse("0.1").unwrap()),
        Just(Number::parse("1180591620717411303424").unwrap()),
    ]
}

/// A value of type `ty`; `unknowns` allows unknown values, `budget` bounds how many
/// dynamic values may nest.
fn arb_value(ty: &Type, unknowns: bool, budget: u32) -> BoxedStrategy<Value> {
    let known = known_value(ty, unknowns, budget);
    if unknowns {
        prop_oneof![
            1 => Just(Value::Null),
            1 => Just(Value::Unknown),
            6 => known,
        ]
        .boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn known_value(ty: &Type, unknowns: bool, budget: u32) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::List(t) => vec(arb_value(t, unknowns, budget), 0..4)
            .prop_map(Value::List)
            .boxed(),
        // Through the constructor, which keeps each distinct element once as the
        // decoders do (duplicates are likely: small element types, repeated nulls).
        Type::Set(t) => vec(arb_value(t, unknowns, budget), 0..4)
            .prop_map(Value::set)
            .boxed(),
        Type::Map(t) => btree_map(any::<String>(), arb_value(t, unknowns, budget), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => {
            // Each attribute is present or left out (which means null).
            let parts: Vec<_> = attrs
                .iter()
                .map(|(name, t)| {
                    let name = name.clone();
                    proptest::option::of(arb_value(t, unknowns, budget))
                        .prop_map(move |v| v.map(|v| (name.clone(), v)))
                })
                .collect();
            parts
                .prop_map(|entries| Value::Object(entries.into_iter().flatten().collect()))
                .boxed()
        }
        Type::Tuple(types) => {
            let parts: Vec<_> = types
                .iter()
                .map(|t| arb_value(t, unknowns, budget))
                .collect();
            parts.prop_map(Value::Tuple).boxed()
        }
        Type::Dynamic if budget == 0 => Just(Value::Null).boxed(),
        Type::Dynamic => arb_type()
            .prop_flat_map(move |t| {
                arb_value(&t, unknowns, budget - 1).prop_map(move |v| Value::dynamic(t.clone(), v))
            })
            .boxed(),
    }
}

fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| (Just(t.clone()), arb_value(&t, unknowns, 2)))
}

fn fixed_types() -> Vec<Type> {
    vec![
        Type::Dynamic,
        Type::String,
        Type::list(Type::Number),
        Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::String)),
            ("ports", Type::set(Type::Number)),
            ("pair", Type::tuple([Type::Bool, Type::Dynamic])),
            ("nested", Type::list(Type::object([("n", Type::Number)]))),
        ]),
    ]
}

fn rmp_int(i: i64) -> Vec<u8> {
    let mut out = Vec::new();
    rmp::encode::write_sint(&mut out, i).unwrap();
    out
}

fn rmp_uint(u: u64) -> Vec<u8> {
    let mut out = Vec::new();
    rmp::encode::write_uint(&mut out, u).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn msgpack_round_trip((ty, value) in typed_value(true)) {
        let bytes = cty::msgpack::encode(&value, &ty).unwrap();
        let back = cty::msgpack::decode(&bytes, &ty).unwrap();
        prop_assert!(back.semantic_eq(&value), "{:?}\n!=\n{:?}", back, value);
        prop_assert_eq!(cty::msgpack::encode(&back, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_round_trip((ty, value) in typed_value(false)) {
        let bytes = cty::json::encode(&value, &ty).unwrap();
        let back = cty::json::decode(&bytes, &ty).unwrap();
        prop_assert!(back.semantic_eq(&value), "{:?}\n!=\n{:?}", back, value);
        prop_assert_eq!(cty::json::encode(&back, &ty).unwrap(), bytes);
    }

    #[test]
    fn numbers_display_and_parse(n in arb_number()) {
        prop_assert_eq!(Number::parse(&n.to_string()).unwrap(), n.clone());
        let bytes = cty::msgpack::encode(&Value::Number(n.clone()), &Type::Number).unwrap();
        prop_assert_eq!(cty::msgpack::decode(&bytes, &Type::Number).unwrap(), Value::Number(n));
    }

    #[test]
    fn floats_keep_their_bits(bits in prop_oneof![
        any::<u64>(),
        any::<f64>().prop_map(f64::to_bits),
        any::<i64>().prop_map(|i| (i as f64).to_bits()),
        (0u64..1 << 52).prop_map(|m| m),
    ]) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        let mut wire = vec![0xcb];
        wire.extend_from_slice(&f.to_be_bytes());
        let v = cty::msgpack::decode(&wire, &Type::Number).unwrap();
        prop_assert_eq!(v.as_number().cloned(), Number::from_f64_exact(f));
        // Integral floats in i64 range come back as that int (as cty writes them);
        // every other float as the same float64 bits.
        let expected = match v.as_i64() {
            Some(i) => {
                prop_assert_eq!(i as f64, f);
                cty::msgpack::encode(&Value::from(i), &Type::Number).unwrap()
            }
            None => wire.clone(),
        };
        prop_assert_eq!(&cty::msgpack::encode(&v, &Type::Number).unwrap(), &expected);
        // Through JSON: the same number, so the same msgpack again.
        let json = cty::json::encode(&v, &Type::Number).unwrap();
        let back = cty::json::decode(&json, &Type::Number).unwrap();
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(&cty::msgpack::encode(&back, &Type::Number).unwrap(), &expected);
        prop_assert_eq!(back.as_number().map(Number::as_f64).map(f64::to_bits),
            Some(if f == 0.0 { 0 } else { bits }));
    }

    #[test]
    fn float32s_are_exact(bits in any::<u32>()) {
        let f = f32::from_bits(bits);
        prop_assume!(f.is_finite());
        let mut wire = vec![0xca];
        wire.extend_from_slice(&f.to_be_bytes());
        let v = cty::msgpack::decode(&wire, &Type::Number).unwrap();
        let wide = f64::from(f);
        prop_assert_eq!(v.as_number().cloned(), Number::from_f64_exact(wide));
        let again = cty::msgpack::decode(&cty::msgpack::encode(&v, &Type::Number).unwrap(), &Type::Number).unwrap();
        prop_assert_eq!(again, v);
    }

    #[test]
    fn integers_round_trip(i in any::<i64>(), u in any::<u64>()) {
        for (n, wire) in [
            (Number::from(i), rmp_int(i)),
            (Number::from(u), rmp_uint(u)),
        ] {
            // Decoding the plain msgpack int gives the number...
            let v = cty::msgpack::decode(&wire, &Type::Number).unwrap();
            prop_assert_eq!(v.as_number(), Some(&n));
            // ...which survives both codecs.
            let bytes = cty::msgpack::encode(&v, &Type::Number).unwrap();
            prop_assert_eq!(cty::msgpack::decode(&bytes, &Type::Number).unwrap(), v.clone());
            let json = cty::json::encode(&v, &Type::Number).unwrap();
            prop_assert_eq!(&json, &n.to_string().into_bytes());
            prop_assert_eq!(cty::json::decode(&json, &Type::Number).unwrap(), v);
        }
        prop_assert_eq!(Number::from(i).as_i64(), Some(i));
        prop_assert_eq!(Number::from(u).as_u64(), Some(u));
    }

    #[test]
    fn msgpack_decode_never_panics(bytes in vec(any::<u8>(), 0..512)) {
        for ty in fixed_types() {
            if let Ok(v) = cty::msgpack::decode(&bytes, &ty) {
                cty::msgpack::encode(&v, &ty).unwrap();
            }
        }
    }

    #[test]
    fn mutated_msgpack_never_panics(
        (ty, value) in typed_value(true),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = cty::msgpack::encode(&value, &ty).unwrap();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = cty::msgpack::decode(&bytes, &ty);
        let _ = cty::msgpack::decode(&bytes[..cut.index(bytes.len() + 1)], &ty);
    }

    #[test]
    fn json_decode_never_panics(text in any::<String>(), bytes in vec(any::<u8>(), 0..64)) {
        for ty in fixed_types() {
            let _ = cty::json::decode(text.as_bytes(), &ty);
            let _ = cty::json::decode(&bytes, &ty);
        }
    }

    #[test]
    fn mutated_json_never_panics(
        (ty, value) in typed_value(false),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"[]{}\",:0-.e\\nut ".to_vec()),
    ) {
        let mut bytes = cty::json::encode(&value, &ty).unwrap();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = cty::json::decode(&bytes, &ty);
    }
}
