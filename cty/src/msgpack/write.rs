//! Appending msgpack items to a byte vector, in their most compact forms.

/// The one encoding of an unknown value Terraform accepts: fixext1, type 0, one zero byte.
pub(crate) const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

pub(crate) fn nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}

pub(crate) fn bool(out: &mut Vec<u8>, b: bool) {
    out.push(if b { 0xc3 } else { 0xc2 });
}

pub(crate) fn int(out: &mut Vec<u8>, i: i64) {
    if let Ok(u) = u64::try_from(i) {
        return uint(out, u);
    }
    if i >= -32 {
        out.push(i as u8);
    } else if let Ok(v) = i8::try_from(i) {
        out.push(0xd0);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = i16::try_from(i) {
        out.push(0xd1);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = i32::try_from(i) {
        out.push(0xd2);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

pub(crate) fn uint(out: &mut Vec<u8>, u: u64) {
    if u < 0x80 {
        out.push(u as u8);
    } else if let Ok(v) = u8::try_from(u) {
        out.extend_from_slice(&[0xcc, v]);
    } else if let Ok(v) = u16::try_from(u) {
        out.push(0xcd);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(u) {
        out.push(0xce);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&u.to_be_bytes());
    }
}

pub(crate) fn f64(out: &mut Vec<u8>, f: f64) {
    out.push(0xcb);
    out.extend_from_slice(&f.to_be_bytes());
}

/// A header with a length: `fix` is the fixed-size marker family and its capacity, if
/// any, then the 8-, 16- and 32-bit markers (8-bit absent for arrays and maps).
fn header(
    out: &mut Vec<u8>,
    len: usize,
    fix: Option<(u8, usize)>,
    m8: Option<u8>,
    m16: u8,
    m32: u8,
) -> Result<(), String> {
    match (fix, m8) {
        (Some((base, cap)), _) if len < cap => out.push(base | len as u8),
        (_, Some(m)) if len <= 0xff => out.extend_from_slice(&[m, len as u8]),
        _ if len <= 0xffff => {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            let len =
                u32::try_from(len).map_err(|_| format!("{len} items are too many for msgpack"))?;
            out.push(m32);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    Ok(())
}

pub(crate) fn str(out: &mut Vec<u8>, s: &str) -> Result<(), String> {
    header(out, s.len(), Some((0xa0, 32)), Some(0xd9), 0xda, 0xdb)?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

pub(crate) fn bin(out: &mut Vec<u8>, b: &[u8]) -> Result<(), String> {
    header(out, b.len(), None, Some(0xc4), 0xc5, 0xc6)?;
    out.extend_from_slice(b);
    Ok(())
}

pub(crate) fn array_len(out: &mut Vec<u8>, len: usize) -> Result<(), String> {
    header(out, len, Some((0x90, 16)), None, 0xdc, 0xdd)
}

pub(crate) fn map_len(out: &mut Vec<u8>, len: usize) -> Result<(), String> {
    header(out, len, Some((0x80, 16)), None, 0xde, 0xdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut out);
        out
    }

    #[test]
    fn compact_forms_match_rmp() {
        for i in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            65535,
            65536,
            -1,
            -32,
            -33,
            -128,
            -129,
            -32768,
            -32769,
            i64::MIN,
            i64::MAX,
            1 << 40,
        ] {
            let mut expected = Vec::new();
            rmp::encode::write_sint(&mut expected, i).unwrap();
            assert_eq!(bytes(|o| int(o, i)), expected, "{i}");
        }
        for u in [0u64, 200, 70000, u64::MAX] {
            let mut expected = Vec::new();
            rmp::encode::write_uint(&mut expected, u).unwrap();
            assert_eq!(bytes(|o| uint(o, u)), expected, "{u}");
        }
        for len in [0usize, 15, 16, 31, 32, 255, 256, 65535, 65536] {
            let s = "x".repeat(len);
            let mut expected = Vec::new();
            rmp::encode::write_str(&mut expected, &s).unwrap();
            assert_eq!(bytes(|o| str(o, &s).unwrap()), expected, "str {len}");
            let mut expected = Vec::new();
            rmp::encode::write_bin(&mut expected, s.as_bytes()).unwrap();
            assert_eq!(
                bytes(|o| bin(o, s.as_bytes()).unwrap()),
                expected,
                "bin {len}"
            );
            let mut expected = Vec::new();
            rmp::encode::write_array_len(&mut expected, len as u32).unwrap();
            assert_eq!(
                bytes(|o| array_len(o, len).unwrap()),
                expected,
                "array {len}"
            );
            let mut expected = Vec::new();
            rmp::encode::write_map_len(&mut expected, len as u32).unwrap();
            assert_eq!(bytes(|o| map_len(o, len).unwrap()), expected, "map {len}");
        }
        assert_eq!(bytes(|o| f64(o, 0.5)), [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes(nil), [0xc0]);
        assert_eq!(bytes(|o| bool(o, true)), [0xc3]);
    }
}
