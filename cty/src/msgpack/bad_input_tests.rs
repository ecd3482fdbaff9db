//! Hostile msgpack input: trailing bytes, huge declared lengths, claims
//! beyond the bytes left and deep nesting fail cleanly, without allocating.

use rmpv::Value as Mp;

use super::tests::{err, instance_type, mp, s};
use super::{decode, encode};
use crate::{Type, Value};

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
