//! Numbers through msgpack: exact integers, floats to their binary value
//! and back to the same bits, big decimals kept as strings.

use rmpv::Value as Mp;

use super::tests::{err, mp, num, s};
use super::{decode, encode};
use crate::{Type, Value};

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
