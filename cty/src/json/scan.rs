//! A small JSON parser that keeps numbers as their exact source text.
//!
//! serde_json without its `arbitrary_precision` feature rounds every number that does not
//! fit `u64`/`i64` to `f64`, and that feature would change `serde_json::Number` for every
//! crate in the build. This parser produces a tree whose numbers are the literal text, so
//! [`crate::Number::parse`] can keep them exact.

/// Containers nested deeper than this are an error (values are bounded again, more
/// tightly, by [`crate::MAX_DEPTH`]).
const MAX_NESTING: usize = 512;

/// A parsed JSON document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    /// The literal text of a number, already checked against JSON's number grammar.
    Number(&'a str),
    String(String),
    Array(Vec<Json<'a>>),
    /// Members in document order, duplicates kept.
    Object(Vec<(String, Json<'a>)>),
}

impl Json<'_> {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// The same document as a `serde_json::Value` (numbers that serde_json cannot hold
    /// become null).
    pub(crate) fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as V;
        match self {
            Json::Null => V::Null,
            Json::Bool(b) => V::Bool(*b),
            Json::Number(text) => text
                .parse::<serde_json::Number>()
                .map_or(V::Null, V::Number),
            Json::String(s) => V::String(s.clone()),
            Json::Array(items) => V::Array(items.iter().map(Json::to_serde).collect()),
            Json::Object(members) => V::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde()))
                    .collect(),
            ),
        }
    }
}

/// Parses one JSON document, surrounded by optional whitespace.
pub(crate) fn parse(text: &str) -> Result<Json<'_>, String> {
    let mut p = Parser { text, pos: 0 };
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("trailing characters after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &str) -> bool {
        let found = self.text[self.pos..].starts_with(literal);
        if found {
            self.pos += literal.len();
        }
        found
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, String> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') | Some(b'[') if depth >= MAX_NESTING => {
                Err(self.error("containers nested too deeply"))
            }
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat("null") => Ok(Json::Null),
            _ if self.eat("true") => Ok(Json::Bool(true)),
            _ if self.eat("false") => Ok(Json::Bool(false)),
            None => Err(self.error("unexpected end of input")),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    /// After an item of a container: `true` for a comma, `false` for the closing byte.
    fn separator(&mut self, close: u8) -> Result<bool, String> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error(&format!("expected ',' or '{}'", char::from(close)))),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json<'a>, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat("]") {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if !self.separator(b']')? {
                return Ok(Json::Array(items));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, String> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.eat("}") {
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if !self.eat(":") {
                return Err(self.error("expected ':'"));
            }
            members.push((key, self.value(depth + 1)?));
            if !self.separator(b'}')? {
                return Ok(Json::Object(members));
            }
        }
    }

    fn number(&mut self) -> Result<Json<'a>, String> {
        let start = self.pos;
        let digits = |p: &mut Parser<'a>| {
            let from = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - from
        };
        self.eat("-");
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("expected digits")),
        }
        if self.eat(".") && digits(self) == 0 {
            return Err(self.error("expected digits after '.'"));
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if !self.eat("+") {
                self.eat("-");
            }
            if digits(self) == 0 {
                return Err(self.error("expected exponent digits"));
            }
        }
        Ok(Json::Number(&self.text[start..self.pos]))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self.text.get(self.pos..self.pos + 4).unwrap_or("");
        let code = if hex.len() == 4 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            u32::from_str_radix(hex, 16).ok()
        } else {
            None
        };
        let code = code.ok_or_else(|| self.error("expected 4 hex digits after \\u"))?;
        self.pos += 4;
        Ok(code)
    }

    /// A `\u` escape (after the `\u`), pairing surrogates; a lone surrogate becomes
    /// U+FFFD as in Go's encoding/json.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        if (0xd800..0xdc00).contains(&first) && self.text[self.pos..].starts_with("\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xdc00..0xe000).contains(&second) {
                let code = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                return Ok(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{fffd}'))
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let run = rest
                .find(|c: char| c == '"' || c == '\\' || c < ' ')
                .ok_or_else(|| self.error("unterminated string"))?;
            out.push_str(&rest[..run]);
            self.pos += run;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    out.push(match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("invalid escape")),
                    });
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documents() {
        let doc = r#" {"a": [1, -2.5e+3, 12345678901234567890123], "b": {"c": null},
            "d": true, "e": false, "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800z"} "#;
        let expected = Json::Object(vec![
            (
                "a".into(),
                Json::Array(vec![
                    Json::Number("1"),
                    Json::Number("-2.5e+3"),
                    Json::Number("12345678901234567890123"),
                ]),
            ),
            ("b".into(), Json::Object(vec![("c".into(), Json::Null)])),
            ("d".into(), Json::Bool(true)),
            ("e".into(), Json::Bool(false)),
            (
                "s".into(),
                Json::String("x\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}\u{fffd}z".into()),
            ),
        ]);
        assert_eq!(parse(doc), Ok(expected));
        assert_eq!(parse("[]"), Ok(Json::Array(vec![])));
        assert_eq!(parse("{ }"), Ok(Json::Object(vec![])));
    }

    #[test]
    fn rejects_malformed_documents() {
        for doc in [
            "",
            " ",
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a\u{1}\"",
            "{a:1}",
            "{\"a\" 1}",
            "nul",
            "[1] x",
            "NaN",
            "\"\\u00e",
            "[",
            "{\"a\":",
        ] {
            assert!(parse(doc).is_err(), "{doc:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let doc = "[".repeat(100_000);
        assert!(parse(&doc).unwrap_err().contains("nested too deeply"));
        let ok = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(parse(&ok).is_ok());
    }
}
