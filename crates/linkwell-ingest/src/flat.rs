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
        number_val(&self.s[start..i], integer).ok_or_else(|| self.err("number out of range"))
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

/// The value of a number that is known to follow the JSON grammar; `None`
/// when it does not fit a finite `f64`.
fn number_val<'a>(text: &str, integer: bool) -> Option<Val<'a>> {
    // Sizes and statuses: up to 19 digits cannot overflow a u64, and the
    // grammar already excluded everything but digits.
    if integer && text.len() <= 19 && !text.starts_with('-') {
        let v = text
            .bytes()
            .fold(0u64, |v, d| v * 10 + u64::from(d.wrapping_sub(b'0')));
        return Some(Val::U(v));
    }
    if integer {
        if let Ok(u) = text.parse::<u64>() {
            return Some(Val::U(u));
        }
        if let Ok(n) = text.parse::<i64>() {
            return Some(Val::I(n));
        }
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Val::F(f)),
        _ => None,
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

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bit `k` set when byte `k` of the little-endian word `w` is `c` (exact:
/// the carry-free zero-byte test, then the eight flags gathered by one
/// multiplication).
fn byte_mask(w: u64, c: u8) -> u64 {
    let x = w ^ (LO * u64::from(c));
    let nonzero = ((x & !HI).wrapping_add(!HI)) | x;
    let zero = !nonzero & HI;
    (zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Positions of `"` in a line, found 64 bytes at a time.
///
/// A log line has 100-150 quotes; asking for each one separately (the
/// general scanner's way) costs a search setup per string. Here a block's
/// quotes become one bit mask and each position is a trailing-zero count.
struct Quotes<'a> {
    b: &'a [u8],
    /// Start of the block `mask` describes.
    base: usize,
    mask: u64,
    next_block: usize,
}

impl<'a> Quotes<'a> {
    fn new(b: &'a [u8]) -> Self {
        Quotes {
            b,
            base: 0,
            mask: 0,
            next_block: 0,
        }
    }

    /// Quote mask of the 64 bytes at `bytes` (zero-padded at the end).
    fn block(bytes: &[u8]) -> u64 {
        let mut padded = [0u8; 64];
        let block: &[u8] = match bytes.get(..64) {
            Some(full) => full,
            None => {
                padded[..bytes.len()].copy_from_slice(bytes);
                &padded
            }
        };
        let (words, _) = block.as_chunks::<8>();
        let mut m = 0u64;
        for (k, w) in words.iter().enumerate() {
            m |= byte_mask(u64::from_le_bytes(*w), b'"') << (8 * k);
        }
        m
    }

    /// Moves to the next block holding a quote; false at the end. Kept out
    /// of line so that `next`, called for every quote, stays a few
    /// instructions without register spills.
    #[inline(never)]
    fn refill(&mut self) -> bool {
        while self.mask == 0 {
            let Some(rest) = self.b.get(self.next_block..).filter(|r| !r.is_empty()) else {
                return false;
            };
            self.base = self.next_block;
            self.mask = Self::block(rest);
            self.next_block += 64;
        }
        true
    }

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        if self.mask == 0 && !self.refill() {
            return None;
        }
        let k = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + k)
    }

    /// The string whose opening quote is at `i`: its text and the index
    /// after its closing quote.
    #[inline(always)]
    fn string(&mut self, text: &'a str, i: usize) -> Option<(&'a str, usize)> {
        if self.next()? != i {
            return None;
        }
        let close = self.next()?;
        Some((text.get(i + 1..close)?, close + 1))
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The end of a number starting at `i`, if it follows the JSON grammar,
/// and whether it is an integer.
fn number_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i + 1),
        _ => return None,
    }
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        integer = false;
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
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
            return None;
        }
        i = end;
    }
    Some((i, integer))
}

/// The common case of [`scan`], fast: a flat object of strings without
/// escapes, numbers and literals. Calls `f` for each member in order and
/// returns true; returns false as soon as the line is anything else
/// (escapes, nested values, any error), after which the caller must discard
/// what `f` saw and use [`scan`], which decides and explains. For a line it
/// accepts, it hands `f` exactly the members `scan` would.
pub(crate) fn scan_plain<'a, F>(text: &'a str, mut f: F) -> bool
where
    F: FnMut(&'a str, Val<'a>),
{
    let b = text.as_bytes();
    if memchr::memchr(b'\\', b).is_some() {
        return false;
    }
    let mut quotes = Quotes::new(b);
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return false;
    }
    i = skip_ws(b, i + 1);
    loop {
        if b.get(i) != Some(&b'"') {
            return false;
        }
        let Some((key, after)) = quotes.string(text, i) else {
            return false;
        };
        i = skip_ws(b, after);
        if b.get(i) != Some(&b':') {
            return false;
        }
        i = skip_ws(b, i + 1);
        let val = match b.get(i) {
            Some(b'"') => match quotes.string(text, i) {
                Some((s, after)) => {
                    i = after;
                    Val::Str(Cow::Borrowed(s))
                }
                None => return false,
            },
            Some(b'-' | b'0'..=b'9') => {
                let Some((end, integer)) = number_end(b, i) else {
                    return false;
                };
                let Some(v) = text.get(i..end).and_then(|t| number_val(t, integer)) else {
                    return false;
                };
                i = end;
                v
            }
            Some(b't') if b[i..].starts_with(b"true") => {
                i += 4;
                Val::Bool(true)
            }
            Some(b'f') if b[i..].starts_with(b"false") => {
                i += 5;
                Val::Bool(false)
            }
            Some(b'n') if b[i..].starts_with(b"null") => {
                i += 4;
                Val::Null
            }
            _ => return false,
        };
        f(key, val);
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => {
                i += 1;
                break;
            }
            _ => return false,
        }
    }
    skip_ws(b, i) == b.len()
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
        let mut accepted_plain = 0;
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
                    let mut plain = Vec::new();
                    if scan_plain(&m, |k, v| plain.push((k.to_string(), v))) {
                        let general = all(&m).unwrap();
                        assert_eq!(plain, general, "{m}");
                        accepted_plain += 1;
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
        assert!(accepted_plain > 100, "{accepted_plain}");
    }

    #[test]
    fn integers_read_like_std() {
        for t in [
            "0",
            "7",
            "1234567890123456789",
            "9999999999999999999",
            "18446744073709551615",
            "-0",
            "-12",
        ] {
            let want = t
                .parse::<u64>()
                .map(Val::U)
                .or_else(|_| t.parse::<i64>().map(Val::I))
                .unwrap();
            assert_eq!(number_val(t, true), Some(want), "{t}");
        }
    }

    #[test]
    fn plain_scan_takes_plain_lines_and_leaves_the_rest() {
        let line = r#" {"a":"x","b":12,"c":-1.5e3,"d":true,"e":false,"f":null,"g":""} "#;
        let mut seen = Vec::new();
        assert!(scan_plain(line, |k, v| seen.push((k.to_string(), v))));
        assert_eq!(seen, all(line).unwrap());
        for other in [
            r#"{"a":"x\"y"}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            "{}",
            r#"{"a":1e999}"#,
            r#"{"a":1}x"#,
            r#"{"a":"x"#,
        ] {
            assert!(!scan_plain(other, |_, _| {}), "{other}");
        }
    }

    #[test]
    fn quote_positions_match_a_naive_scan() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for len in [0, 1, 7, 8, 63, 64, 65, 130, 300] {
            for _ in 0..50 {
                let v: Vec<u8> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        [b'a', b'"', 0x22 ^ 0x80, 0xa2, 0x21, 0x23, 0x00, 0xff][(rng % 8) as usize]
                    })
                    .collect();
                let mut q = Quotes::new(&v);
                let got: Vec<usize> = std::iter::from_fn(|| q.next()).collect();
                let want: Vec<usize> = (0..v.len()).filter(|&i| v[i] == b'"').collect();
                assert_eq!(got, want, "{v:?}");
            }
        }
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
