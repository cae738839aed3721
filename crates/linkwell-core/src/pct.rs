//! Percent-decoding, shared by every crate that reads URLs.
//!
//! Detectors, the inventory and the simulator's self-checks must agree on
//! what `%2e%2E` or `a+b` means, so there is one decoder. Malformed escapes
//! are kept verbatim (a hostile `%zz` is evidence, not an error).

use std::borrow::Cow;

/// The value of one hexadecimal digit.
#[inline]
pub fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// True when `s` has something [`decode_into`] would change.
#[inline]
pub fn needs_decoding(s: &str, plus_is_space: bool) -> bool {
    s.bytes().any(|b| b == b'%' || (plus_is_space && b == b'+'))
}

/// Decodes `%XX` escapes into `out` (cleared first). `plus_is_space` applies
/// form encoding (query strings and form bodies).
pub fn decode_into(s: &str, plus_is_space: bool, out: &mut Vec<u8>) {
    out.clear();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_value(b[i + 1]), hex_value(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && c == b'+' { b' ' } else { c });
        i += 1;
    }
}

/// `s` decoded, using `scratch` only when decoding changed something. Falls
/// back to the raw text when the decoded bytes are not UTF-8.
pub fn decoded<'a>(s: &'a str, plus_is_space: bool, scratch: &'a mut Vec<u8>) -> &'a str {
    if !needs_decoding(s, plus_is_space) {
        return s;
    }
    decode_into(s, plus_is_space, scratch);
    std::str::from_utf8(scratch).unwrap_or(s)
}

/// `s` decoded with form rules, borrowed when nothing changes; invalid UTF-8
/// is replaced (U+FFFD) so signatures still see the surrounding text.
pub fn decode_form(s: &str) -> Cow<'_, str> {
    if !needs_decoding(s, true) {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    decode_into(s, true, &mut out);
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        let mut s = Vec::new();
        assert_eq!(decoded("a%40b", false, &mut s), "a@b");
        assert_eq!(decoded("a+b", true, &mut s), "a b");
        assert_eq!(decoded("a+b", false, &mut s), "a+b");
        assert_eq!(decoded("100%", false, &mut s), "100%");
        assert_eq!(decoded("%zz", false, &mut s), "%zz");
        assert_eq!(decode_form("%"), "%");
        assert_eq!(decode_form("%4"), "%4");
        assert_eq!(decode_form("%41%zz+"), "A%zz ");
        assert_eq!(decode_form("%ff"), "\u{fffd}");
        assert!(matches!(decode_form("plain"), Cow::Borrowed(_)));
    }
}
