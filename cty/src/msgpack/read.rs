//! A msgpack tokenizer over a byte slice. It never allocates: strings, binary data and
//! extension payloads are borrowed, and containers report only their element counts.

/// One msgpack item; containers are followed by their elements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    /// An array header with its element count.
    Array(u32),
    /// A map header with its entry count.
    Map(u32),
    Ext(i8, &'a [u8]),
}

impl Token<'_> {
    /// The msgpack kind, for messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Token::Nil => "nil",
            Token::Bool(_) => "bool",
            Token::Int(_) | Token::Uint(_) => "integer",
            Token::F32(_) | Token::F64(_) => "float",
            Token::Str(_) => "string",
            Token::Bin(_) => "binary",
            Token::Array(_) => "array",
            Token::Map(_) => "map",
            Token::Ext(..) => "extension",
        }
    }
}

pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.rest.len() {
            return Err(format!(
                "unexpected end of msgpack input: {n} bytes needed, {} left",
                self.rest.len()
            ));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len(&mut self, width: u8) -> Result<usize, String> {
        let n = match width {
            1 => u32::from(self.u8()?),
            2 => u32::from(self.u16()?),
            _ => self.u32()?,
        };
        usize::try_from(n).map_err(|_| "length out of range".to_owned())
    }

    fn ext(&mut self, len: usize) -> Result<Token<'a>, String> {
        let ty = i8::from_be_bytes(self.array()?);
        Ok(Token::Ext(ty, self.take(len)?))
    }

    /// Reads the next token; the message of an error says what was wrong.
    pub(crate) fn next(&mut self) -> Result<Token<'a>, String> {
        let marker = self.u8()?;
        let token = match marker {
            0x00..=0x7f => Token::Int(i64::from(marker)),
            0x80..=0x8f => Token::Map(u32::from(marker & 0x0f)),
            0x90..=0x9f => Token::Array(u32::from(marker & 0x0f)),
            0xa0..=0xbf => Token::Str(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Token::Nil,
            0xc1 => return Err("invalid msgpack marker 0xc1".to_owned()),
            0xc2 => Token::Bool(false),
            0xc3 => Token::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (marker - 0xc4))?;
                Token::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (marker - 0xc7))?;
                self.ext(n)?
            }
            0xca => Token::F32(f32::from_be_bytes(self.array()?)),
            0xcb => Token::F64(f64::from_be_bytes(self.array()?)),
            0xcc => Token::Int(i64::from(self.u8()?)),
            0xcd => Token::Int(i64::from(self.u16()?)),
            0xce => Token::Int(i64::from(self.u32()?)),
            0xcf => Token::Uint(u64::from_be_bytes(self.array()?)),
            0xd0 => Token::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Token::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Token::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Token::Int(i64::from_be_bytes(self.array()?)),
            0xd4..=0xd8 => self.ext(1 << (marker - 0xd4))?,
            0xd9..=0xdb => {
                let n = self.len(1 << (marker - 0xd9))?;
                Token::Str(self.take(n)?)
            }
            0xdc => Token::Array(u32::from(self.u16()?)),
            0xdd => Token::Array(self.u32()?),
            0xde => Token::Map(u32::from(self.u16()?)),
            0xdf => Token::Map(self.u32()?),
            0xe0..=0xff => Token::Int(i64::from(marker as i8)),
        };
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(bytes: &[u8]) -> Result<Vec<Token<'_>>, String> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while r.remaining() > 0 {
            out.push(r.next()?);
        }
        Ok(out)
    }

    #[test]
    fn reads_every_marker_family() {
        let bytes = [
            0x05, 0xff, 0xc0, 0xc2, 0xc3, 0xcc, 0xfe, 0xcd, 0x01, 0x00, 0xd0, 0x80, 0xcf, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa2, b'h', b'i', 0xc4, 0x01, 0x07, 0x92,
            0x81, 0xd4, 0x00, 0x00, 0xc7, 0x02, 0x0c, 0x01, 0x02, 0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0,
            0,
        ];
        assert_eq!(
            tokens(&bytes),
            Ok(vec![
                Token::Int(5),
                Token::Int(-1),
                Token::Nil,
                Token::Bool(false),
                Token::Bool(true),
                Token::Int(254),
                Token::Int(256),
                Token::Int(-128),
                Token::Uint(u64::MAX),
                Token::Str(b"hi"),
                Token::Bin(&[7]),
                Token::Array(2),
                Token::Map(1),
                Token::Ext(0, &[0]),
                Token::Ext(12, &[1, 2]),
                Token::F64(0.5),
            ])
        );
    }

    #[test]
    fn truncated_and_reserved_input_is_an_error() {
        assert!(tokens(&[0xc1]).is_err());
        assert!(tokens(&[0xd9, 0x05, b'a']).is_err());
        assert!(tokens(&[0xdb, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(tokens(&[0xcb, 0x00]).is_err());
        assert!(tokens(&[0xc9, 0x00, 0x00, 0x00, 0x01]).is_err());
    }
}
