//! A scanner for flat JSON objects, the shape of every JSON access log.
//!
//! The any-key formats (NGINX variables, Envoy operators, Traefik's
//! `request_*` headers, NDJSON by configured name) have to look at every key
//! of every line. Going through serde there costs a visitor call, a seed and
//! a re-borrow per value, which profiled at three times the cost of merely
//! validating the line. This scanner walks the object once with `memchr`,
//! borrows every string that has no escape, and hands each key/value pair to
//! a closure.
//!
//! It is strict where it matters (structure, string termination, number
//! grammar, trailing garbage) and delegates the rare cases to serde_json:
//! strings with escapes are decoded by it (so `\u` surrogate rules are
//! serde_json's), and nested objects/arrays are validated and skipped by it.
//! Raw control characters inside strings are tolerated.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use crate::error::{ParseError, excerpt};
use crate::json::{Val, expect_object};

/// One top-level member of an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) val: Val<'a>,
    /// The value's JSON text (for nested objects looked into later).
    pub(crate) raw: &'a str,
}

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn err(&self, what: &str) -> ParseError {
        ParseError::NotJson {
            message: format!("{what} at column {}", self.i + 1),
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), ParseError> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    /// A string starting at the current `"`.
    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let open = self.i;
        let start = open + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            let Some(p) = find_quote_or_backslash(self.b, j) else {
                self.i = self.b.len();
                return Err(self.err("unterminated string"));
            };
            if self.b[p] == b'\\' {
                escaped = true;
                j = p + 2;
                continue;
            }
            self.i = p + 1;
            if !escaped {
                return Ok(Cow::Borrowed(&self.s[start..p]));
            }
            return match serde_json::from_str::<String>(&self.s[open..=p]) {
                Ok(v) => Ok(Cow::Owned(v)),
                Err(e) => Err(ParseError::NotJson {
                    message: excerpt(&format!("{e} in the string at column {}", open + 1)),
                }),
            };
        }
    }

    /// A number per the JSON grammar, kept as an integer when it is one.
    fn number(&mut self) -> Result<Val<'a>, ParseError> {
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i + 1),
            _ => {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            integer = false;
            let end = digits(i + 1);
            if end == i + 1 {
                self.i = end;
                return Err(self.err("invalid number"));
            }
            i = end;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            integer = false;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let end = digits(i);
            if end == i {
                self.i = end;
                return Err(self.err("invalid number"));
            }
            i = end;
        }
        self.i = i;
        let text = &self.s[start..i];
        if integer {
            if let Ok(u) = text.parse::<u64>() {
                return Ok(Val::U(u));
            }
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Val::I(n));
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Val::F(f)),
            _ => Err(self.err("number out of range")),
        }
    }

    fn literal(&mut self, word: &str, v: Val<'a>) -> Result<Val<'a>, ParseError> {
        if self.b.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    /// Validates and skips a nested object or array with serde_json (which
    /// also bounds the nesting depth).
    fn nested(&mut self) -> Result<(), ParseError> {
        let rest = &self.s[self.i..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<IgnoredAny>();
        match stream.next() {
            Some(Ok(_)) => {
                self.i += stream.byte_offset();
                Ok(())
            }
            Some(Err(e)) => Err(ParseError::NotJson {
                message: excerpt(&format!("{e} (in the value at column {})", self.i + 1)),
            }),
            None => Err(self.err("missing value")),
        }
    }

    fn value(&mut self) -> Result<Val<'a>, ParseError> {
        match self.b.get(self.i) {
            Some(b'"') => self.string().map(Val::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Val::Bool(true)),
            Some(b'f') => self.literal("false", Val::Bool(false)),
            Some(b'n') => self.literal("null", Val::Null),
            Some(b'{' | b'[') => self.nested().map(|()| Val::Nested),
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end of line")),
        }
    }
}

/// Index of the first `"` or `\\` at or after `from`.
///
/// Log strings are short (5-40 bytes), where `memchr`'s per-call setup costs
/// more than the search; eight bytes at a time in a register is faster.
fn find_quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut p = from;
    while p + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[p..p + 8]);
        let w = u64::from_le_bytes(word);
        let q = w ^ (LO * u64::from(b'"'));
        let s = w ^ (LO * u64::from(b'\\'));
        // Bytes equal to zero in q or s; the lowest flagged byte is exact.
        let m = ((q.wrapping_sub(LO) & !q) | (s.wrapping_sub(LO) & !s)) & HI;
        if m != 0 {
            return Some(p + (m.trailing_zeros() / 8) as usize);
        }
        p += 8;
    }
    b.get(p..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|k| p + k)
}

/// Calls `f` for each member of the object in `text`, in order. `f` may stop
/// the scan by returning an error, which is passed through unchanged.
pub(crate) fn scan<'a, F>(text: &'a str, mut f: F) -> Result<(), ParseError>
where
    F: FnMut(Field<'a>) -> Result<(), ParseError>,
{
    let mut sc = Scanner {
        s: text,
        b: text.as_bytes(),
        i: 0,
    };
    sc.ws();
    if sc.b.get(sc.i) != Some(&b'{') {
        return Err(expect_object(text)
            .err()
            .unwrap_or_else(|| sc.err("expected an object")));
    }
    sc.i += 1;
    sc.ws();
    if sc.b.get(sc.i) == Some(&b'}') {
        sc.i += 1;
    } else {
        loop {
            sc.ws();
            if sc.b.get(sc.i) != Some(&b'"') {
                return Err(sc.err("expected a key"));
            }
            let key = sc.string()?;
            sc.ws();
            sc.expect(b':', "expected ':'")?;
            sc.ws();
            let start = sc.i;
            let val = sc.value()?;
            let raw = &text[start..sc.i];
            f(Field { key, val, raw })?;
            sc.ws();
            match sc.b.get(sc.i) {
                Some(b',') => sc.i += 1,
                Some(b'}') => {
                    sc.i += 1;
                    break;
                }
                Some(_) => return Err(sc.err("expected ',' or '}'")),
                None => return Err(sc.err("unexpected end of line")),
            }
        }
    }
    sc.ws();
    if sc.i != sc.b.len() {
        return Err(sc.err("trailing characters"));
    }
    Ok(())
}

/// All members of an object (for lookups by configured name).
pub(crate) fn entries(text: &str) -> Result<Vec<Field<'_>>, ParseError> {
    let mut out = Vec::with_capacity(16);
    scan(text, |f| {
        out.push(f);
        Ok(())
    })?;
    Ok(out)
}

/// Follows a dotted path through nested objects. A literal key containing
/// dots wins over descending (`"http.method"` as one key, as OpenTelemetry
/// exporters write them).
pub(crate) fn lookup<'a>(fields: &[Field<'a>], path: &str) -> Option<Field<'a>> {
    lookup_depth(fields, path, 0)
}

fn lookup_depth<'a>(fields: &[Field<'a>], path: &str, depth: usize) -> Option<Field<'a>> {
    if let Some(f) = fields.iter().find(|f| f.key == path) {
        return Some(f.clone());
    }
    if depth > 8 || memchr::memchr(b'.', path.as_bytes()).is_none() {
        return None;
    }
    for (i, _) in path.match_indices('.') {
        let (head, rest) = (&path[..i], &path[i + 1..]);
        if let Some(f) = fields
            .iter()
            .find(|f| f.key == head && f.raw.starts_with('{'))
        {
            let nested = entries(f.raw).ok()?;
            if let Some(found) = lookup_depth(&nested, rest, depth + 1) {
                return Some(found);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Result<Vec<(String, Val<'_>)>, ParseError> {
        entries(text).map(|v| v.into_iter().map(|f| (f.key.into_owned(), f.val)).collect())
    }

    #[test]
    fn scalars_and_borrowing() {
        let text = r#" { "a" : "plain", "b":"esc\"aped\u00e9","c":12,"d":-3,"e":1.5e2,"f":null,"g":{"x":[1,{"y":2}]},"h":[],"i":true,"j":false,"k":0,"l":18446744073709551616 } "#;
        let f = entries(text).unwrap();
        assert!(matches!(&f[0].val, Val::Str(Cow::Borrowed("plain"))));
        assert!(matches!(&f[1].val, Val::Str(Cow::Owned(s)) if s == "esc\"apedé"));
        assert_eq!(f[2].val, Val::U(12));
        assert_eq!(f[3].val, Val::I(-3));
        assert_eq!(f[4].val, Val::F(150.0));
        assert_eq!(f[5].val, Val::Null);
        assert_eq!(
            (&f[6].val, f[6].raw),
            (&Val::Nested, r#"{"x":[1,{"y":2}]}"#)
        );
        assert_eq!(f[7].val, Val::Nested);
        assert_eq!(f[8].val, Val::Bool(true));
        assert_eq!(f[9].val, Val::Bool(false));
        assert_eq!(f[10].val, Val::U(0));
        assert_eq!(f[11].val, Val::F(18446744073709551616.0));
        assert_eq!(all("{}").unwrap(), []);
        assert_eq!(all(r#"{"k\"ey":1}"#).unwrap()[0].0, "k\"ey");
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        let bad = [
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":-}",
            "{\"a\":1e}",
            "{\"a\":tru}",
            "{\"a\":nul}",
            "{\"a\":\"x}",
            "{\"a\":\"x\\\"}",
            "{\"a\":\"\\q\"}",
            "{\"a\":[1,}",
            "{\"a\":1} x",
            "{\"a\":1}}",
            "{\"a\":+1}",
            "{\"a\":1e999}",
            "{\"a\":{\"b\":[}]}",
            "{,}",
            "{\"a\":1,,\"b\":2}",
            "{\"a\":\"\\ud800x\"}",
        ];
        for b in bad {
            assert!(
                matches!(all(b), Err(ParseError::NotJson { .. })),
                "{b}: {:?}",
                all(b)
            );
            assert!(serde_json::from_str::<serde_json::Value>(b).is_err(), "{b}");
        }
        assert_eq!(all("[1]"), Err(ParseError::NotAnObject));
        assert_eq!(all("  "), Err(ParseError::Empty));
        // Deep nesting is skipped iteratively by serde_json: no stack overflow.
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(all(&deep).unwrap()[0].1, Val::Nested);
        let unbalanced = format!("{{\"a\":{}}}", "[".repeat(100_000));
        assert!(all(&unbalanced).is_err());
    }

    #[test]
    fn quote_search_matches_a_naive_scan() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for len in 0..64 {
            for _ in 0..200 {
                let v: Vec<u8> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        [b'a', b'"', b'\\', 0x80, 0xff, 0x21, 0x23, 0x5b, 0x5d, 0x00]
                            [(rng % 10) as usize]
                    })
                    .collect();
                for from in 0..=len {
                    let naive = v[from..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\')
                        .map(|k| from + k);
                    assert_eq!(
                        find_quote_or_backslash(&v, from),
                        naive,
                        "{v:?} from {from}"
                    );
                }
            }
        }
    }

    /// On mutated real lines, the scanner accepts exactly what serde_json
    /// accepts as an object (raw control characters in strings aside).
    #[test]
    fn agrees_with_serde_json_on_mutations() {
        let corpus = [
            include_str!("../tests/data/nginx_json.log"),
            include_str!("../tests/data/envoy_json.log"),
            include_str!("../tests/data/traefik.log"),
            include_str!("../tests/data/ndjson.log"),
        ];
        let inserts: [&str; 14] = [
            "\"", "\\", "{", "}", "[", "]", ":", ",", "-", "0", "e", "\\u00e9", " ", ".",
        ];
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut checked = 0;
        for text in corpus {
            for line in text.lines() {
                for _ in 0..400 {
                    let mut m = line.to_string();
                    for _ in 0..=(next() % 3) {
                        let mut at = (next() % (m.len() as u64 + 1)) as usize;
                        while !m.is_char_boundary(at) {
                            at -= 1;
                        }
                        if next() % 2 == 0 {
                            m.insert_str(at, inserts[(next() % inserts.len() as u64) as usize]);
                        } else {
                            let mut end = (at + 1 + (next() % 4) as usize).min(m.len());
                            while !m.is_char_boundary(end) {
                                end += 1;
                            }
                            m.replace_range(at..end, "");
                        }
                    }
                    if m.bytes().any(|b| b < 0x20) {
                        continue;
                    }
                    let ours = entries(&m).is_ok();
                    let theirs =
                        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&m)
                            .is_ok();
                    assert_eq!(ours, theirs, "{m}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn stops_on_callback_error() {
        let r = scan(r#"{"a":1,"b":2}"#, |f| {
            if f.key == "b" {
                Err(ParseError::MissingField("b"))
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err(ParseError::MissingField("b")));
    }

    #[test]
    fn dotted_lookup() {
        let text =
            r#"{"req":{"headers":{"host":"api.example.com"}},"http.method":"GET","n":{"x":"no"}}"#;
        let f = entries(text).unwrap();
        let host = lookup(&f, "req.headers.host").map(|f| f.val);
        assert_eq!(host, Some(Val::Str(Cow::Borrowed("api.example.com"))));
        assert_eq!(
            lookup(&f, "http.method").map(|f| f.val),
            Some(Val::Str(Cow::Borrowed("GET")))
        );
        assert!(lookup(&f, "req.nope").is_none());
        assert!(lookup(&f, "req.headers.host.deeper").is_none());
        assert!(lookup(&f, "n.x.y").is_none());
    }
}
