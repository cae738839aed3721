//! Scanning the space-separated text formats (NGINX, Envoy) without regexes.
//!
//! A regex per format would be simpler to write, but it costs several times
//! the whole parse budget per line and makes "which field was wrong" hard to
//! report. A line here is split once into tokens (bare words, `"quoted"`
//! strings and `[bracketed]` times) recorded as byte ranges, and each format
//! reads the token list positionally.

use std::borrow::Cow;

use linkwell_core::Method;

use crate::error::ParseError;
use crate::fields;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bare,
    Quoted,
    Bracket,
}

/// One token as a range of the line (delimiters excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// More fields than any supported layout has; a line with more is not one
/// of ours, and the cap keeps the scan allocation-free.
pub(crate) const MAX_TOKENS: usize = 48;

pub(crate) struct Tokens {
    toks: [Tok; MAX_TOKENS],
    len: usize,
}

impl Tokens {
    pub(crate) fn as_slice(&self) -> &[Tok] {
        &self.toks[..self.len]
    }
}

/// Splits `line` into tokens. A quoted string ends at a `"` followed by a
/// space or the end of the line, so a stray quote inside a user agent does
/// not end it early; with `escapes`, `\x` never ends a token (Apache writes
/// `\"`, NGINX writes `\x22`).
pub(crate) fn tokenize(line: &str, escapes: bool) -> Result<Tokens, ParseError> {
    let b = line.as_bytes();
    let mut out = Tokens {
        toks: [Tok {
            kind: Kind::Bare,
            start: 0,
            end: 0,
        }; MAX_TOKENS],
        len: 0,
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        if out.len == MAX_TOKENS {
            return Err(ParseError::WrongShape("too many fields for this format"));
        }
        let tok = match b[i] {
            b'"' => {
                let end = closing(b, i + 1, b'"', escapes)
                    .ok_or(ParseError::WrongShape("unterminated quoted field"))?;
                let t = Tok {
                    kind: Kind::Quoted,
                    start: i + 1,
                    end,
                };
                i = end + 1;
                t
            }
            b'[' => {
                let end = closing(b, i + 1, b']', false)
                    .ok_or(ParseError::WrongShape("unterminated [bracketed] field"))?;
                let t = Tok {
                    kind: Kind::Bracket,
                    start: i + 1,
                    end,
                };
                i = end + 1;
                t
            }
            _ => {
                let end = memchr::memchr2(b' ', b'\t', &b[i..]).map_or(b.len(), |j| i + j);
                let t = Tok {
                    kind: Kind::Bare,
                    start: i,
                    end,
                };
                i = end;
                t
            }
        };
        out.toks[out.len] = tok;
        out.len += 1;
    }
    Ok(out)
}

/// Index of the delimiter closing a token opened just before `from`: the
/// first `close` followed by whitespace or the end; the last `close` on the
/// line if none qualifies (a quote followed by junk is still a quote).
fn closing(b: &[u8], from: usize, close: u8, escapes: bool) -> Option<usize> {
    let mut i = from;
    let mut last = None;
    while i < b.len() {
        let j = if escapes {
            memchr::memchr2(close, b'\\', &b[i..])
        } else {
            memchr::memchr(close, &b[i..])
        };
        let j = i + j?;
        if b[j] == b'\\' {
            i = j + 2;
            continue;
        }
        if j + 1 == b.len() || b[j + 1] == b' ' || b[j + 1] == b'\t' {
            return Some(j);
        }
        last = Some(j);
        i = j + 1;
    }
    last
}

/// The text of a token.
pub(crate) fn text<'a>(line: &'a str, t: &Tok) -> &'a str {
    line.get(t.start..t.end).unwrap_or("")
}

/// Undoes NGINX/Apache log escaping: `\xHH` (NGINX writes `"`, `\` and bytes
/// outside 32..=126 this way), `\"` and `\\`. Borrowed unless there was
/// something to undo; invalid UTF-8 after decoding becomes U+FFFD.
pub(crate) fn unescape(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let Some(first) = memchr::memchr(b'\\', b) else {
        return Cow::Borrowed(s);
    };
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..first]);
    let mut i = first;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'x' | b'X') => match (b.get(i + 2).and_then(hex), b.get(i + 3).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 4;
                }
                _ => {
                    out.push(b'\\');
                    i += 1;
                }
            },
            Some(&c @ (b'"' | b'\\')) => {
                out.push(c);
                i += 2;
            }
            _ => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex(c: &u8) -> Option<u8> {
    linkwell_core::pct::hex_value(*c)
}

/// `METHOD target [protocol]` as NGINX `$request` and Envoy write it.
pub(crate) struct RequestLine<'a> {
    pub(crate) method: Method<'a>,
    pub(crate) target: Cow<'a, str>,
    pub(crate) protocol: Option<Cow<'a, str>>,
}

/// Splits a request line. The protocol is the last word only when it looks
/// like one (`HTTP/1.1`), so HTTP/0.9 `GET /` parses and a target containing
/// a space (which NGINX logs verbatim for a 400) is kept whole.
pub(crate) fn request_line(s: Cow<'_, str>) -> Result<RequestLine<'_>, ParseError> {
    fn spans(s: &str) -> Option<(usize, usize, usize, Option<usize>)> {
        let s_trim = s.trim_end();
        let sp = s_trim.find(' ')?;
        let t_start = sp + 1 + s_trim[sp + 1..].len() - s_trim[sp + 1..].trim_start().len();
        let rest = &s_trim[t_start..];
        let (t_end, proto) = match rest.rfind(' ') {
            Some(j) if rest[j + 1..].starts_with("HTTP/") || rest[j + 1..].starts_with("http/") => {
                (t_start + rest[..j].trim_end().len(), Some(t_start + j + 1))
            }
            _ => (t_start + rest.len(), None),
        };
        (t_end > t_start).then_some((sp, t_start, t_end, proto))
    }
    let (sp, ts, te, proto) = spans(&s).ok_or(ParseError::BadRequestLine)?;
    let end = s.trim_end().len();
    let (method, target, protocol) = match s {
        Cow::Borrowed(b) => (
            Cow::Borrowed(&b[..sp]),
            Cow::Borrowed(&b[ts..te]),
            proto.map(|p| Cow::Borrowed(&b[p..end])),
        ),
        Cow::Owned(o) => (
            Cow::Owned(o[..sp].to_string()),
            Cow::Owned(o[ts..te].to_string()),
            proto.map(|p| Cow::Owned(o[p..end].to_string())),
        ),
    };
    let method = fields::method("request", method).map_err(|_| ParseError::BadRequestLine)?;
    Ok(RequestLine {
        method,
        target,
        protocol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str, esc: bool) -> Vec<(Kind, &str)> {
        tokenize(line, esc)
            .unwrap()
            .as_slice()
            .iter()
            .map(|t| (t.kind, text(line, t)))
            .collect()
    }

    #[test]
    fn tokens() {
        let w = words(r#"a "b c" [d e] "f"g" h"#, false);
        assert_eq!(
            w,
            [
                (Kind::Bare, "a"),
                (Kind::Quoted, "b c"),
                (Kind::Bracket, "d e"),
                (Kind::Quoted, "f\"g"),
                (Kind::Bare, "h")
            ]
        );
        let w = words(r#""a \" b" c"#, true);
        assert_eq!(w, [(Kind::Quoted, r#"a \" b"#), (Kind::Bare, "c")]);
        assert!(tokenize(r#"a "open"#, false).is_err());
        assert!(tokenize(&"x ".repeat(MAX_TOKENS + 1), false).is_err());
        assert_eq!(words("", false), []);
    }

    #[test]
    fn unescaping() {
        assert!(matches!(unescape("plain"), Cow::Borrowed("plain")));
        assert_eq!(unescape(r"a\x22b\x5Cc"), "a\"b\\c");
        assert_eq!(unescape(r#"q\"q"#), "q\"q");
        assert_eq!(unescape(r"\xFF"), "\u{FFFD}");
        assert_eq!(unescape(r"end\x4"), r"end\x4");
        assert_eq!(unescape("trailing\\"), "trailing\\");
    }

    #[test]
    fn request_lines() {
        let r = request_line("GET /a?b=1 HTTP/1.1".into()).unwrap();
        assert_eq!((r.method.as_str(), r.target.as_ref()), ("GET", "/a?b=1"));
        assert_eq!(r.protocol.as_deref(), Some("HTTP/1.1"));
        let r = request_line("GET /".into()).unwrap();
        assert_eq!(r.protocol, None);
        let r = request_line("GET /a b HTTP/1.0".into()).unwrap();
        assert_eq!(r.target, "/a b");
        assert!(request_line("GET".into()).is_err());
        assert!(request_line("GET ".into()).is_err());
        assert!(request_line("\u{16}\u{3}\u{1} x".into()).is_err());
        assert!(request_line("".into()).is_err());
    }
}
