//! Bounded, multi-layer decoding of one value before inspection.
//!
//! Attackers wrap payloads in as many encodings as the application will
//! peel off (a gateway decodes `%25` once, the framework again, a template
//! engine resolves `&#x3c;`). We peel the same layers, a bounded number of
//! times, so the analysers see what the application would finally see. No
//! decoder here ever makes text longer than its input, and the input is cut
//! at [`MAX_INPUT`] bytes, so memory per value is bounded.

use linkwell_core::pct;

/// Longest prefix of a value that is inspected; payloads live at the start
/// of a value and a cap keeps the per-call cost bounded on hostile input.
pub(super) const MAX_INPUT: usize = 4096;

/// Rounds of "percent, then entities, then escapes"; three rounds cover
/// double and triple encoding while keeping the worst case linear.
const MAX_ROUNDS: usize = 3;

/// `s` cut at [`MAX_INPUT`] bytes on a character boundary.
pub(super) fn bounded(s: &str) -> &str {
    if s.len() <= MAX_INPUT {
        return s;
    }
    let mut end = MAX_INPUT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// True when some decoder could change `s` (cheap byte test so plain values
/// are never copied).
fn may_decode(s: &str, plus_is_space: bool) -> bool {
    s.bytes()
        .any(|b| matches!(b, b'%' | b'&' | b'\\' | b'\0' | 0xef) || (plus_is_space && b == b'+'))
}

/// Fully decodes `raw` into `out` (cleared first). Returns false (and leaves
/// `out` empty) when nothing needed decoding, so callers use `raw` as is.
/// `plus_is_space` applies form rules on the first percent layer only: a
/// `+` that survives one layer was meant literally.
pub(super) fn normalize(raw: &str, plus_is_space: bool, out: &mut String) -> bool {
    out.clear();
    let raw = bounded(raw);
    if !may_decode(raw, plus_is_space) {
        return false;
    }
    let mut cur = raw.to_string();
    let mut bytes = Vec::with_capacity(raw.len());
    for round in 0..MAX_ROUNDS {
        let plus = plus_is_space && round == 0;
        let mut changed = false;
        if cur.contains("%u") || cur.contains("%U") {
            let next = iis_unicode(&cur);
            changed |= next != cur;
            cur = next;
        }
        if pct::needs_decoding(&cur, plus) {
            pct::decode_into(&cur, plus, &mut bytes);
            let next = String::from_utf8_lossy(&bytes).into_owned();
            changed |= next != cur;
            cur = next;
        }
        if cur.contains('&') {
            let next = html_entities(&cur);
            changed |= next != cur;
            cur = next;
        }
        if cur.contains('\\') {
            let next = js_escapes(&cur);
            changed |= next != cur;
            cur = next;
        }
        if !changed {
            break;
        }
    }
    if cur.contains('\0') {
        cur = cur.replace('\0', "");
    }
    if cur.chars().any(is_fullwidth) {
        cur = cur.chars().map(fold_fullwidth).collect();
    }
    *out = cur;
    true
}

/// `%uXXXX`, the IIS-era escape some stacks still decode. Never longer
/// than its input (six bytes become at most three).
fn iis_unicode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut i = 0;
    while i + 5 < b.len() {
        if b[i] == b'%' && matches!(b[i + 1], b'u' | b'U') {
            let v = b[i + 2..i + 6].iter().try_fold(0u32, |acc, &d| {
                pct::hex_value(d).map(|v| acc * 16 + u32::from(v))
            });
            if let Some(c) = v.and_then(char::from_u32) {
                out.push_str(&s[last..i]);
                out.push(c);
                i += 6;
                last = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[last..]);
    out
}

/// Fullwidth ASCII (`＜script＞`): browsers and Unicode-normalising
/// frameworks turn it into ASCII, so the analysers should see ASCII.
fn is_fullwidth(c: char) -> bool {
    ('\u{ff01}'..='\u{ff5e}').contains(&c)
}

fn fold_fullwidth(c: char) -> char {
    if is_fullwidth(c) {
        char::from_u32(c as u32 - 0xfee0).unwrap_or(c)
    } else {
        c
    }
}

/// Named entities worth knowing: the ones that spell HTML, JS and SQL
/// syntax. Anything else is left as text.
const NAMED: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("sol", '/'),
    ("bsol", '\\'),
    ("colon", ':'),
    ("semi", ';'),
    ("lpar", '('),
    ("rpar", ')'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("equals", '='),
    ("comma", ','),
    ("period", '.'),
    ("excl", '!'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("plus", '+'),
    ("grave", '`'),
    ("verbar", '|'),
    ("tab", '\t'),
    ("newline", '\n'),
    ("nbsp", ' '),
];

/// `&lt;`, `&#60;`, `&#x3c;` (the `;` optional for numeric ones, as
/// browsers accept it). Never longer than the input: the shortest entity is
/// three bytes and a character is at most four, and `&#x10000;` is nine.
fn html_entities(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut last = 0;
    while let Some(off) = memchr_amp(&b[i..]) {
        let at = i + off;
        if let Some((c, len)) = entity_at(&s[at..]) {
            out.push_str(&s[last..at]);
            out.push(c);
            i = at + len;
            last = i;
        } else {
            i = at + 1;
        }
    }
    out.push_str(&s[last..]);
    out
}

fn memchr_amp(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'&')
}

/// The character an entity at the start of `s` (which starts with `&`)
/// stands for, and the entity's length.
fn entity_at(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, start) = match b.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let mut v: u32 = 0;
        let mut j = start;
        while j < b.len() && j - start < 8 {
            let d = if hex {
                pct::hex_value(b[j]).map(u32::from)
            } else {
                b[j].is_ascii_digit().then(|| u32::from(b[j] - b'0'))
            };
            let Some(d) = d else { break };
            v = v * if hex { 16 } else { 10 } + d;
            j += 1;
        }
        if j == start {
            return None;
        }
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        let c = char::from_u32(v)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{fffd}');
        return Some((c, j));
    }
    let end = s.as_bytes()[1..].iter().take(8).position(|&c| c == b';')? + 1;
    let name = &s[1..end];
    NAMED
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, c)| (c, end + 1))
}

/// JSON and JavaScript escapes that hide syntax: `\uXXXX`, `\xHH`, and
/// `\/`. Other backslashes are kept (they matter to SQL and paths).
fn js_escapes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let hexes = |from: usize, n: usize| -> Option<u32> {
            let digits = b.get(from..from + n)?;
            digits.iter().try_fold(0u32, |acc, &d| {
                pct::hex_value(d).map(|v| acc * 16 + u32::from(v))
            })
        };
        let decoded = match b.get(i + 1) {
            Some(b'u' | b'U') => hexes(i + 2, 4).map(|v| (v, 6)),
            Some(b'x' | b'X') => hexes(i + 2, 2).map(|v| (v, 4)),
            Some(b'/') => Some((u32::from(b'/'), 2)),
            _ => None,
        };
        match decoded {
            Some((v, len)) => {
                out.push_str(&s[last..i]);
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                i += len;
                last = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&s[last..]);
    out
}

/// The text an obviously base64 value stands for: long enough, only base64
/// characters, a plausible length, and decoding to printable text. Random
/// ids decode to binary and are rejected, so only smuggled text is seen.
pub(super) fn base64_text(s: &str) -> Option<String> {
    let s = s.trim_end_matches('=');
    if s.len() < 12 || s.len() > MAX_INPUT {
        return None;
    }
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for &c in s.as_bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .count();
    (printable * 100 >= text.chars().count() * 95).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str, plus: bool) -> String {
        let mut out = String::new();
        if normalize(s, plus, &mut out) {
            out
        } else {
            s.to_string()
        }
    }

    #[test]
    fn layers() {
        assert_eq!(norm("%253Cscript%253E", true), "<script>");
        assert_eq!(norm("a+b%2Bc", true), "a b+c");
        assert_eq!(norm("a+b", false), "a+b");
        assert_eq!(norm("&lt;img src=x&gt;", false), "<img src=x>");
        assert_eq!(norm("&#60;&#x3C;&#0000060", false), "<<<");
        assert_eq!(norm("%26lt%3Bsvg", true), "<svg");
        assert_eq!(norm("\\u003cscript\\x3e", false), "<script>");
        assert_eq!(norm("..%c0%af", false), "..\u{fffd}\u{fffd}");
        assert_eq!(norm("AT&T &unknown; &", false), "AT&T &unknown; &");
        assert_eq!(norm("a%00b", false), "ab");
        assert_eq!(norm("%uff1cscript%u0020%uff1e", true), "<script >");
        assert_eq!(norm("%ef%bc%9cscript%ef%bc%9e", true), "<script>");
        // Triple encoding is peeled; a fourth layer is left (bounded work).
        assert_eq!(norm("%25252e", false), ".");
    }

    #[test]
    fn never_grows_and_is_bounded() {
        let long = "%2".repeat(10_000);
        assert!(norm(&long, true).len() <= MAX_INPUT);
        for s in ["&#x10FFFF;", "&#1;&#1;", "\\u0041", "%41%41"] {
            assert!(norm(s, true).len() <= s.len(), "{s}");
        }
    }

    #[test]
    fn base64() {
        assert_eq!(
            base64_text("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==").as_deref(),
            Some("<script>alert(1)</script>")
        );
        assert_eq!(
            base64_text("dXNlcjoxMjM0NQ==").as_deref(),
            Some("user:12345")
        );
        // Random ids decode to binary and are not text.
        assert_eq!(base64_text("q8Jz0Xv9LmNpT4sYwR2a"), None);
        assert_eq!(base64_text("short"), None);
        assert_eq!(base64_text("not base64 at all!"), None);
    }
}
