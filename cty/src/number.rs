//! Exact cty numbers: integers of any size and decimals without rounding.

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use crate::error::CtyError;

/// Largest accepted decimal exponent (in absolute value) of a number's leading digit.
pub const MAX_EXPONENT: i64 = 1_000_000_000;

/// Zeros written out in full before [`Number`]'s `Display` switches to an exponent.
const PLAIN_ZEROS: i64 = 64;

/// An exact number.
///
/// Integers that fit `i64` are stored as such; every other value as a normalized decimal
/// (digits without leading or trailing zeros, times a power of ten). The representation
/// is canonical, so the derived equality compares numeric values: `1 == 1.0 == "1"`.
/// Infinities and NaN are not numbers here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    Int(i64),
    Dec(Box<Decimal>),
}

/// `(-1)^negative * digits * 10^exp`; never zero, never an integer that fits `i64`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Decimal {
    negative: bool,
    digits: String,
    exp: i64,
}

impl Number {
    /// Parses a decimal number: an optional sign, digits with an optional fraction, and an
    /// optional exponent (`-12`, `0.5`, `.5`, `1e30`, `2.5E-3`).
    pub fn parse(text: &str) -> Result<Number, CtyError> {
        parse_decimal(text).ok_or_else(|| {
            let shown: String = text.chars().take(40).collect();
            let more = if shown.len() < text.len() { "..." } else { "" };
            CtyError::root(format!("invalid number {shown:?}{more}"))
        })
    }

    /// The shortest decimal that reads back as the same float (so `0.1f64` becomes `0.1`,
    /// not the binary value `0.1000000000000000055511151231257827021181583404541015625`).
    /// `None` for infinities and NaN. [`Number::from_f64_exact`] keeps the binary value.
    pub fn from_f64(value: f64) -> Option<Number> {
        if !value.is_finite() {
            return None;
        }
        if value.fract() == 0.0 && value.abs() < 9.2e18 {
            return Some(Number(Repr::Int(value as i64)));
        }
        parse_decimal(&format!("{value:e}"))
    }

    /// Exactly the value of a finite float, as cty's `NumberFloatVal` holds it: every
    /// binary fraction has a finite decimal expansion, so nothing is rounded and the
    /// number converts back to the same float. `None` for infinities and NaN; `-0.0` is 0.
    pub fn from_f64_exact(value: f64) -> Option<Number> {
        if !value.is_finite() {
            return None;
        }
        if value.fract() == 0.0 && value.abs() < 9.2e18 {
            return Some(Number(Repr::Int(value as i64)));
        }
        let bits = value.to_bits();
        let negative = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1 << 52) - 1);
        // value = mantissa * 2^exp2, for normal and subnormal floats alike.
        let (mantissa, exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1 << 52, biased - 1075)
        };
        let mut digits = BigDigits::from_u64(mantissa);
        let exp10 = if exp2 >= 0 {
            // An integer: mantissa * 2^exp2.
            digits.mul_pow(2, exp2 as u32);
            0
        } else {
            // mantissa / 2^k = mantissa * 5^k / 10^k.
            digits.mul_pow(5, exp2.unsigned_abs() as u32);
            exp2
        };
        from_parts(negative, &digits.to_decimal(), exp10)
    }

    /// The value as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(i) => Some(*i),
            Repr::Dec(_) => None,
        }
    }

    /// The value as `u64`, if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match &self.0 {
            Repr::Int(i) => u64::try_from(*i).ok(),
            Repr::Dec(d) if !d.negative && d.exp >= 0 && d.digits.len() as i64 + d.exp <= 20 => {
                let zeros = "0".repeat(usize::try_from(d.exp).ok()?);
                format!("{}{zeros}", d.digits).parse().ok()
            }
            Repr::Dec(_) => None,
        }
    }

    /// The nearest `f64` (infinite when out of range).
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int(i) => *i as f64,
            Repr::Dec(_) => self.to_string().parse().unwrap_or(f64::NAN),
        }
    }

    /// Whether the value is a whole number.
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Int(_) => true,
            Repr::Dec(d) => d.exp >= 0,
        }
    }

    /// The `f64` whose value is exactly this number, if there is one (integers included).
    pub(crate) fn exact_f64(&self) -> Option<f64> {
        let d = match &self.0 {
            Repr::Int(i) => {
                let f = *i as f64;
                // `as i128` is exact for every f64 near the i64 range.
                return (f as i128 == i128::from(*i)).then_some(f);
            }
            Repr::Dec(d) => d,
        };
        // Cheap bounds first: a finite f64 has at most 767 significant decimal digits, a
        // leading digit between 10^-324 and 10^308, and is a multiple of 2^-1074 (so its
        // decimal expansion ends at or before the 1074th fractional digit).
        let len = d.digits.len() as i64;
        let leading = d.exp + len - 1;
        if len > 800 || d.exp < -1074 || !(-325..=309).contains(&leading) {
            return None;
        }
        // Parsing rounds correctly, so a number that is some f64 parses to exactly it.
        let f: f64 = self.to_string().parse().ok()?;
        let exact = f.is_finite() && Number::from_f64_exact(f).as_ref() == Some(self);
        exact.then_some(f)
    }
}

/// A non-negative integer in base 10^9 limbs, least significant first: just enough
/// arithmetic to expand a float exactly.
struct BigDigits(Vec<u32>);

impl BigDigits {
    const BASE: u64 = 1_000_000_000;

    fn from_u64(mut value: u64) -> BigDigits {
        let mut limbs = Vec::new();
        while value > 0 {
            limbs.push((value % Self::BASE) as u32);
            value /= Self::BASE;
        }
        BigDigits(limbs)
    }

    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = (product % Self::BASE) as u32;
            carry = product / Self::BASE;
        }
        while carry > 0 {
            self.0.push((carry % Self::BASE) as u32);
            carry /= Self::BASE;
        }
    }

    /// Multiplies by `base^exp` (`base` is 2 or 5), in steps whose factor fits `u32`.
    fn mul_pow(&mut self, base: u32, mut exp: u32) {
        let step = if base == 2 { 31 } else { 13 };
        while exp > 0 {
            let k = exp.min(step);
            self.mul_small(base.pow(k));
            exp -= k;
        }
    }

    fn to_decimal(&self) -> String {
        let mut out = String::with_capacity(self.0.len() * 9);
        for (i, limb) in self.0.iter().rev().enumerate() {
            let _ = if i == 0 {
                write!(out, "{limb}")
            } else {
                write!(out, "{limb:09}")
            };
        }
        out
    }
}

/// Builds the canonical number `(-1)^negative * digits * 10^exp` from ASCII digits.
fn from_parts(negative: bool, digits: &str, exp: i64) -> Option<Number> {
    let digits = digits.trim_start_matches('0');
    let trimmed = digits.trim_end_matches('0');
    if trimmed.is_empty() {
        return Some(Number(Repr::Int(0)));
    }
    let exp = exp.checked_add((digits.len() - trimmed.len()) as i64)?;
    let leading = exp.checked_add(trimmed.len() as i64 - 1)?;
    if !(-MAX_EXPONENT..=MAX_EXPONENT).contains(&leading) {
        return None;
    }
    if exp >= 0 && leading < 19 {
        let mut value: i128 = 0;
        for b in trimmed.bytes() {
            value = value * 10 + i128::from(b - b'0');
        }
        for _ in 0..exp {
            value *= 10;
        }
        let value = if negative { -value } else { value };
        if let Ok(i) = i64::try_from(value) {
            return Some(Number(Repr::Int(i)));
        }
    }
    Some(Number(Repr::Dec(Box::new(Decimal {
        negative,
        digits: trimmed.to_owned(),
        exp,
    }))))
}

fn parse_decimal(text: &str) -> Option<Number> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() && frac_part.is_empty()
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return None;
    }
    let exp = match exponent {
        Some(e) => parse_exponent(e)?,
        None => 0,
    };
    let exp = exp.checked_sub(i64::try_from(frac_part.len()).ok()?)?;
    let digits = format!("{int_part}{frac_part}");
    from_parts(negative, &digits, exp)
}

/// An exponent's value, saturated far beyond [`MAX_EXPONENT`] so that it is rejected later.
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let limit = 4 * MAX_EXPONENT;
    let mut value: i64 = 0;
    for b in digits.bytes() {
        value = (value * 10 + i64::from(b - b'0')).min(limit);
    }
    Some(if negative { -value } else { value })
}

impl From<i64> for Number {
    fn from(value: i64) -> Number {
        Number(Repr::Int(value))
    }
}

impl From<i32> for Number {
    fn from(value: i32) -> Number {
        Number(Repr::Int(value.into()))
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Number {
        match i64::try_from(value) {
            Ok(i) => Number(Repr::Int(i)),
            Err(_) => from_parts(false, &value.to_string(), 0).unwrap_or(Number(Repr::Int(0))),
        }
    }
}

impl FromStr for Number {
    type Err = CtyError;

    fn from_str(text: &str) -> Result<Number, CtyError> {
        Number::parse(text)
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation (`1180591620717411303424`, `0.001`); an exponent
    /// (`1.5e300`) only when more than 64 zeros would have to be written out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match &self.0 {
            Repr::Int(i) => return write!(f, "{i}"),
            Repr::Dec(d) => d,
        };
        if d.negative {
            f.write_str("-")?;
        }
        let len = d.digits.len() as i64;
        if (0..=PLAIN_ZEROS).contains(&d.exp) {
            f.write_str(&d.digits)?;
            (0..d.exp).try_for_each(|_| f.write_str("0"))
        } else if d.exp < 0 && -d.exp < len {
            let (int, frac) = d.digits.split_at((len + d.exp) as usize);
            write!(f, "{int}.{frac}")
        } else if d.exp < 0 && -d.exp - len <= PLAIN_ZEROS {
            f.write_str("0.")?;
            (0..(-d.exp - len)).try_for_each(|_| f.write_str("0"))?;
            f.write_str(&d.digits)
        } else {
            let (first, rest) = d.digits.split_at(1);
            let point = if rest.is_empty() { "" } else { "." };
            write!(f, "{first}{point}{rest}e{}", d.exp + len - 1)
        }
    }
}

#[cfg(test)]
mod tests;
