//! Exact numbers: equality by value, parsing, display, and floats expanded
//! without rounding.

use super::*;

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

#[test]
fn equal_by_value() {
    assert_eq!(n("1"), Number::from(1i64));
    assert_eq!(n("1.0"), n("1"));
    assert_eq!(n("100e-2"), n("1"));
    assert_eq!(n("-0"), n("0"));
    assert_eq!(n("0.000"), Number::from(0i64));
    assert_eq!(n("1.50"), n("15e-1"));
    assert_ne!(n("0.1"), n("0.10000000000000001"));
    assert_eq!(n("+7"), n("7"));
    assert_eq!(n(".5"), n("0.5"));
    assert_eq!(n("5."), n("5"));
}

#[test]
fn display_is_canonical() {
    assert_eq!(
        n("1180591620717411303424").to_string(),
        "1180591620717411303424"
    );
    assert_eq!(n("1e30").to_string(), "1000000000000000000000000000000");
    assert_eq!(n("0.1").to_string(), "0.1");
    assert_eq!(n("-0.00125").to_string(), "-0.00125");
    assert_eq!(n("123.4500").to_string(), "123.45");
    assert_eq!(n("1.5e300").to_string(), "1.5e300");
    assert_eq!(n("-2e-100").to_string(), "-2e-100");
    assert_eq!(n("9223372036854775808").to_string(), "9223372036854775808");
    for s in ["1.5e300", "-2e-100", "0.001", "12345678901234567890123.5"] {
        assert_eq!(n(&n(s).to_string()), n(s));
    }
}

#[test]
fn conversions() {
    assert_eq!(n("42").as_i64(), Some(42));
    assert_eq!(n("4.2").as_i64(), None);
    assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
    assert_eq!(n("9223372036854775808").as_i64(), None);
    assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(n("18446744073709551616").as_u64(), None);
    assert_eq!(n("-1").as_u64(), None);
    assert_eq!(Number::from(u64::MAX), n("18446744073709551615"));
    assert_eq!(
        Number::from(10_000_000_000_000_000_000u64).as_u64(),
        Some(10u64.pow(19))
    );
    assert_eq!(n("0.25").as_f64(), 0.25);
    assert_eq!(n("2e400").as_f64(), f64::INFINITY);
    assert!(n("1e20").is_integer());
    assert!(!n("0.5").is_integer());
}

#[test]
fn floats() {
    assert_eq!(Number::from_f64(0.1), Some(n("0.1")));
    assert_eq!(Number::from_f64(-0.0), Some(n("0")));
    assert_eq!(Number::from_f64(1e300), Some(n("1e300")));
    assert_eq!(Number::from_f64(f64::NAN), None);
    assert_eq!(n("0.5").exact_f64(), Some(0.5));
    assert_eq!(n("-0.375").exact_f64(), Some(-0.375));
    assert_eq!(n("0.1").exact_f64(), None);
    assert_eq!(n("3").exact_f64(), Some(3.0));
    assert_eq!(n("9223372036854775807").exact_f64(), None);
    assert_eq!(n("9223372036854775808").exact_f64(), Some(2f64.powi(63)));
    assert_eq!(n("9223372036854775809").exact_f64(), None);
    assert_eq!(n("1e400").exact_f64(), None);
    assert_eq!(n("1e-400").exact_f64(), None);
    let exact = "0.1000000000000000055511151231257827021181583404541015625";
    assert_eq!(n(exact).exact_f64(), Some(0.1));
}

#[test]
fn floats_are_kept_exactly() {
    let exact_tenth = "0.1000000000000000055511151231257827021181583404541015625";
    assert_eq!(Number::from_f64_exact(0.1), Some(n(exact_tenth)));
    assert_eq!(Number::from_f64_exact(0.5), Some(n("0.5")));
    assert_eq!(Number::from_f64_exact(-2.0), Some(n("-2")));
    assert_eq!(Number::from_f64_exact(-0.0), Some(n("0")));
    assert_eq!(Number::from_f64_exact(f64::INFINITY), None);
    assert_eq!(Number::from_f64_exact(f64::NAN), None);
    // 2^70 and the largest float are integers beyond i64, written out in full.
    assert_eq!(
        Number::from_f64_exact(2f64.powi(70)),
        Some(n("1180591620717411303424"))
    );
    let max = Number::from_f64_exact(f64::MAX).unwrap();
    assert!(max.is_integer());
    assert_eq!(max.to_string().len(), 309);
    assert!(max.to_string().starts_with("17976931348623157"));
    // 2^-1074, the smallest subnormal: 751 significant digits.
    let tiny = Number::from_f64_exact(f64::from_bits(1)).unwrap();
    assert!(
        tiny.to_string()
            .starts_with("4.940656458412465441765687928682213723")
    );
    assert!(tiny.to_string().ends_with("447265625e-324"));
    // 1e23 is not exactly a float: the nearest float is a different integer.
    assert_eq!(
        Number::from_f64_exact(1e23),
        Some(n("99999999999999991611392"))
    );
    for f in [
        0.1,
        -0.3,
        1e23,
        1e300,
        -1e-300,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::from_bits(0x000f_ffff_ffff_ffff),
        2f64.powi(63),
        -2f64.powi(63),
        2f64.powi(64),
        9.2e18,
        f64::from(0.1f32),
    ] {
        let exact = Number::from_f64_exact(f).unwrap();
        assert_eq!(exact.as_f64().to_bits(), f.to_bits(), "{f:e}");
        let back = exact
            .exact_f64()
            .or_else(|| exact.as_i64().map(|i| i as f64));
        assert_eq!(back.map(f64::to_bits), Some(f.to_bits()), "{f:e}");
        assert_eq!(n(&exact.to_string()), exact, "{f:e}");
    }
    assert_eq!(
        Number::from_f64_exact(-(2f64.powi(63))),
        Some(Number::from(i64::MIN))
    );
}

#[test]
fn rejects_garbage() {
    for s in [
        "",
        "-",
        "+",
        ".",
        "e5",
        "1e",
        "1e+",
        "1.2.3",
        "0x10",
        "inf",
        "NaN",
        " 1",
        "1 ",
        "1e99999999999999999999",
        "--1",
        "1_000",
    ] {
        assert!(Number::parse(s).is_err(), "{s:?}");
    }
    assert!(Number::parse("1e-99999999999999999").is_err());
    let long = "9".repeat(100);
    let msg = Number::parse(&format!("{long}x"))
        .err()
        .map(|e| e.to_string());
    assert!(msg.is_some_and(|m| m.len() < 80));
}
