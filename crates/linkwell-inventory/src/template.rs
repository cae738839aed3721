//! Static path templating: recognising a value by its shape alone.
//!
//! This stage sees one segment at a time and remembers nothing, so it only
//! replaces segments that cannot plausibly be a name: numbers, UUIDs, ULIDs,
//! long hex or base64 tokens, prefixed ids (`cus_8f7a6b5c4d3e`), e-mail
//! addresses, dates, card numbers and IBANs. Anything that could be a word
//! (`transactions`, `v1`, `me`, `oauth2`, `deadbeef`) stays literal; the
//! trie in `learn` decides later whether a literal position is a variable.
//!
//! Classes are deliberately coarse (`{id}` covers numbers, UUIDs and tokens)
//! because an API that accepts several id formats at one position is still
//! one endpoint.
//!
//! The template is bounded whatever the path: at most [`MAX_SEGMENTS`]
//! segments (the rest becomes [`TRUNCATED`]) and overlong segments become
//! `{id}`. Empty segments (double and trailing slashes) are dropped. `.` and
//! `..` are kept as literal segments in their decoded spelling: resolving
//! them would silently file a traversal attempt under the endpoint it was
//! aimed at.

use linkwell_core::sensitive::{is_card_number, is_email, is_iban, is_jwt};

use crate::pct;
use crate::sensitive::{self, KindSet};

/// Identifiers: numbers, UUIDs, ULIDs, tokens, prefixed ids, cards, IBANs.
pub const ID: &str = "{id}";
pub const EMAIL: &str = "{email}";
pub const DATE: &str = "{date}";
/// A position the trie learned is variable.
pub const PARAM: &str = "{param}";
/// All calls on one host beyond `max_endpoints`.
pub const OVERFLOW: &str = "{overflow}";
/// Whatever followed segment [`MAX_SEGMENTS`].
pub const TRUNCATED: &str = "{truncated}";

/// Segments kept in a template.
pub const MAX_SEGMENTS: usize = 16;
/// Longer (decoded) segments are taken to be data, not names.
pub const MAX_SEGMENT_LEN: usize = 128;

/// Extensions kept after a templated stem (`{id}.json`).
const EXTENSIONS: &[&str] = &[
    "json", "xml", "csv", "pdf", "txt", "html", "htm", "png", "jpg", "jpeg", "gif", "svg", "zip",
    "gz", "xlsx", "xls", "doc", "docx", "yaml", "yml", "js", "css", "webp", "mp4", "ofx", "qif",
    "mt940", "camt",
];

/// The placeholder a single path segment becomes, or None if it stays
/// literal. The segment is percent-decoded first.
pub fn classify_segment(seg: &str) -> Option<&'static str> {
    let mut buf = Vec::new();
    classify_decoded(pct::decoded(seg, false, &mut buf))
}

/// The static template of a path: `/api/v1/users/4711/cards/9f1c3a7be2d84c61`
/// -> `/api/v1/users/{id}/cards/{id}`. Always starts with `/`.
pub fn static_template(path: &str) -> String {
    let mut t = Templater::default();
    let mut out = String::new();
    let mut segs = Vec::new();
    let mut kinds = KindSet::default();
    t.write(path, &mut out, &mut segs, &mut kinds);
    out
}

/// True for a template segment that holds a placeholder (literals have their
/// braces escaped, so this cannot be spoofed from a path).
pub(crate) fn is_placeholder(seg: &str) -> bool {
    seg.starts_with('{')
}

/// A segment of a written template: `out[start..end]`, without the slash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// The static template of one path with what the inventory needs from it
/// (segment bounds, sensitive kinds seen in the path). Reused from call to
/// call, so computing one allocates nothing once warm.
#[derive(Debug, Default, Clone)]
pub struct PathTemplate {
    pub(crate) tpl: String,
    pub(crate) segs: Vec<Seg>,
    pub(crate) kinds: KindSet,
    templater: Templater,
}

impl PathTemplate {
    /// Replaces the contents with the template of `path`.
    pub fn set(&mut self, path: &str) {
        self.kinds = KindSet::default();
        self.templater
            .write(path, &mut self.tpl, &mut self.segs, &mut self.kinds);
    }

    /// The template text (`/v1/accounts/{id}`).
    pub fn as_str(&self) -> &str {
        &self.tpl
    }
}

/// Reusable scratch space so templating does not allocate per call.
#[derive(Debug, Default, Clone)]
pub(crate) struct Templater {
    dec: Vec<u8>,
}

impl Templater {
    /// Writes the static template of `path` into `out` (cleared), records
    /// its segments in `segs`, and adds sensitive kinds found in the path.
    /// One pass over the path gathers what every later decision needs, so
    /// an ordinary segment is looked at about twice, not once per check.
    pub(crate) fn write(
        &mut self,
        path: &str,
        out: &mut String,
        segs: &mut Vec<Seg>,
        kinds: &mut KindSet,
    ) {
        out.clear();
        segs.clear();
        let b = path.as_bytes();
        let mut i = authority_end(path);
        let mut seg_start = i;
        let mut sh = Shape::default();
        loop {
            let end = i == b.len();
            let c = if end { b'/' } else { b[i] };
            let flags = BYTE_CLASS[usize::from(c)];
            if flags == 0 {
                // Lower-case letters and `_-+~=`: nothing to record.
                i += 1;
                continue;
            }
            if flags & DELIM != 0 {
                if i > seg_start {
                    if segs.len() == MAX_SEGMENTS {
                        out.push('/');
                        let start = out.len();
                        out.push_str(TRUNCATED);
                        segs.push(seg(start, out.len()));
                        break;
                    }
                    self.segment(&path[seg_start..i], &sh, out, segs, kinds);
                }
                if end || c != b'/' {
                    break;
                }
                seg_start = i + 1;
                sh = Shape::default();
            } else {
                sh.add_flagged(c, flags, i - seg_start);
            }
            i += 1;
        }
        if out.is_empty() {
            out.push('/');
        }
    }

    fn segment(
        &mut self,
        raw: &str,
        sh: &Shape,
        out: &mut String,
        segs: &mut Vec<Seg>,
        kinds: &mut KindSet,
    ) {
        let mut raw = raw;
        let mut rescanned;
        let mut sh = sh;
        if let Some(semi) = sh.semi {
            let rest = &raw.as_bytes()[semi + 1..];
            if rest.len() >= 11 && rest[..11].eq_ignore_ascii_case(b"jsessionid=") {
                raw = &raw[..semi];
                rescanned = Shape::of(raw.as_bytes());
                sh = &rescanned;
            }
        }
        if raw.is_empty() {
            return;
        }
        out.push('/');
        let start = out.len();
        if sh.pct {
            pct::decode_into(raw, false, &mut self.dec);
            match std::str::from_utf8(&self.dec) {
                Ok(d) => {
                    rescanned = Shape::of(d.as_bytes());
                    write_segment(d, &rescanned, out, kinds);
                }
                Err(_) if self.dec.len() > MAX_SEGMENT_LEN => out.push_str(ID),
                Err(_) => pct::push_literal(&self.dec, out),
            }
        } else {
            write_segment(raw, sh, out, kinds);
        }
        segs.push(seg(start, out.len()));
    }
}

fn seg(start: usize, end: usize) -> Seg {
    // Templates are bounded far below u32::MAX (16 segments, escaped
    // segments of at most 3 * MAX_SEGMENT_LEN bytes).
    Seg {
        start: start as u32,
        end: end as u32,
    }
}

/// Where the path starts: after the authority of an absolute-form target
/// (`https://host/path`), else 0.
fn authority_end(path: &str) -> usize {
    let b = path.as_bytes();
    let scheme = if b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        7
    } else if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        8
    } else {
        return 0;
    };
    b[scheme..]
        .iter()
        .position(|&c| c == b'/')
        .map_or(b.len(), |j| scheme + j)
}

fn write_segment(d: &str, sh: &Shape, out: &mut String, kinds: &mut KindSet) {
    // Every sensitive kind needs a digit, an upper-case letter or `@`/`%40`;
    // a plain number can only be a card number, which has 13–19 digits.
    let number = sh.digit == d.len();
    if (number && (13..=19).contains(&d.len()))
        || (!number && (sh.digit > 0 || sh.upper > 0 || sh.at || sh.pct))
    {
        // Bounded work per call, yet long enough for a JWT in the path.
        sensitive::scan_text(crate::body::prefix(d, crate::body::BODY_SCAN_BYTES), kinds);
    }
    if d.len() > MAX_SEGMENT_LEN {
        out.push_str(ID);
        return;
    }
    if let Some(class) = classify_shaped(d, sh) {
        out.push_str(class);
        return;
    }
    if let Some(dot) = sh.last_dot
        && let (stem, ext) = (&d[..dot], &d[dot + 1..])
        && !stem.is_empty()
        && EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext))
        && let Some(class) = classify_decoded(stem)
    {
        out.push_str(class);
        out.push('.');
        out.push_str(&ext.to_ascii_lowercase());
        return;
    }
    if sh.unplain {
        pct::push_literal(d.as_bytes(), out);
    } else {
        out.push_str(d);
    }
}

/// What one pass over a segment learns: character counts for the
/// classifiers and the positions and flags the templater needs.
#[derive(Debug, Default)]
pub(crate) struct Shape {
    upper: usize,
    digit: usize,
    /// Bytes that are neither alphanumeric nor `_ - + ~ =`.
    other: usize,
    at: bool,
    pct: bool,
    semi: Option<usize>,
    last_dot: Option<usize>,
    /// Something the literal spelling must escape (see `pct`).
    unplain: bool,
}

const UPPER: u8 = 1;
const DIGIT: u8 = 2;
const OTHER: u8 = 4;
/// Ends a segment (`/`, `?`, `#`).
const DELIM: u8 = 8;

/// What the templater needs to know about each byte; 0 for the bytes that
/// need no bookkeeping (lower-case letters and `_-+~=`).
const BYTE_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'a'..=b'z' | b'_' | b'-' | b'+' | b'~' | b'=' => 0,
            b'A'..=b'Z' => UPPER,
            b'0'..=b'9' => DIGIT,
            b'/' | b'?' | b'#' => DELIM,
            _ => OTHER,
        };
        c += 1;
    }
    t
};

impl Shape {
    fn of(b: &[u8]) -> Shape {
        let mut s = Shape::default();
        for (i, &c) in b.iter().enumerate() {
            let flags = BYTE_CLASS[usize::from(c)];
            if flags != 0 {
                s.add_flagged(c, flags, i);
            }
        }
        s
    }

    fn add_flagged(&mut self, c: u8, flags: u8, i: usize) {
        match flags {
            UPPER => self.upper += 1,
            DIGIT => self.digit += 1,
            _ => {
                self.other += 1;
                match c {
                    b'@' => self.at = true,
                    b'%' => {
                        self.pct = true;
                        self.unplain = true;
                    }
                    b';' if self.semi.is_none() => self.semi = Some(i),
                    b'.' => self.last_dot = Some(i),
                    b'{' | b'}' | b'/' | b'?' | b'#' => self.unplain = true,
                    _ if !c.is_ascii_graphic() => self.unplain = true,
                    _ => {}
                }
            }
        }
    }
}

/// The class of a decoded segment.
pub(crate) fn classify_decoded(s: &str) -> Option<&'static str> {
    classify_shaped(s, &Shape::of(s.as_bytes()))
}

/// Checks run from the most specific (validated formats) to the heuristic
/// ones; the shape lets ordinary words skip almost all of them.
fn classify_shaped(s: &str, sh: &Shape) -> Option<&'static str> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    if sh.digit == b.len() {
        return Some(if b.len() == 8 && is_compact_date(b) {
            DATE
        } else {
            ID
        });
    }
    if sh.at {
        return is_email(s).then_some(EMAIL);
    }
    // Quotes, brackets, spaces and shell metacharacters never spell a
    // resource name: such a segment is data (often an injection attempt in
    // an id position) and must not become an endpoint of its own.
    if sh.other > 0
        && b.iter().any(|c| {
            matches!(
                c,
                b'\''
                    | b'"'
                    | b'<'
                    | b'>'
                    | b' '
                    | b'\t'
                    | b'`'
                    | b'('
                    | b')'
                    | b'|'
                    | b'$'
                    | b'\\'
                    | b'{'
                    | b'}'
                    | b'*'
            )
        })
    {
        return Some(ID);
    }
    if b.len() < 6 {
        // Too short for every mixed class (the shortest, `a-1234`, has 6).
        return None;
    }
    if sh.digit == 0 {
        // Without digits only a few classes are possible: long hex strings,
        // long mixed-case tokens, JWTs. Lower-case words end here.
        if b.starts_with(b"eyJ") && is_jwt(s) {
            return Some(ID);
        }
        let id = sh.other == 0 && (is_hex_token(b) || (sh.upper > 0 && is_random_token(b)));
        return id.then_some(ID);
    }
    if is_date(b) {
        return Some(DATE);
    }
    if is_uuid(b) || is_ulid(b) {
        return Some(ID);
    }
    if b.starts_with(b"eyJ") && is_jwt(s) {
        return Some(ID);
    }
    if b[0].is_ascii_digit() && is_card_number(s) {
        return Some(ID);
    }
    if b.len() >= 15 && b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase() && is_iban(s) {
        return Some(ID);
    }
    if is_hex_token(b) || is_digit_groups(b) || is_prefixed_id(b) || is_random_token(b) {
        return Some(ID);
    }
    None
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn valid_ymd(y: Option<u32>, m: Option<u32>, d: Option<u32>) -> bool {
    matches!(y, Some(1900..=2199))
        && matches!(m, Some(1..=12))
        && d.is_none_or(|d| (1..=31).contains(&d))
}

/// `20260302`.
fn is_compact_date(b: &[u8]) -> bool {
    valid_ymd(num(&b[..4]), num(&b[4..6]), num(&b[6..8]))
}

/// `2026-03`, `2026-03-02`, or an ISO date-time starting with the latter.
fn is_date(b: &[u8]) -> bool {
    if b.len() < 7 || b[4] != b'-' {
        return false;
    }
    if b.len() == 7 {
        return valid_ymd(num(&b[..4]), num(&b[5..7]), None);
    }
    if b.len() < 10 || b[7] != b'-' || !valid_ymd(num(&b[..4]), num(&b[5..7]), num(&b[8..10])) {
        return false;
    }
    b.len() == 10
        || (matches!(b[10], b'T' | b't' | b' ' | b'_')
            && b[11..]
                .iter()
                .all(|c| c.is_ascii_digit() || b":.+-Zz".contains(c)))
}

/// 8-4-4-4-12 hex with dashes, or 32 hex digits (any version or variant).
fn is_uuid(b: &[u8]) -> bool {
    match b.len() {
        36 => b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        }),
        32 => b.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// 26 characters of Crockford base32 starting with a timestamp digit 0–7.
fn is_ulid(b: &[u8]) -> bool {
    b.len() == 26
        && matches!(b[0], b'0'..=b'7')
        && b.iter().filter(|c| c.is_ascii_digit()).count() >= 2
        && b.iter().all(|c| {
            c.is_ascii_digit()
                || (c.is_ascii_alphabetic()
                    && !matches!(c.to_ascii_uppercase(), b'I' | b'L' | b'O' | b'U'))
        })
}

/// At least 8 hex digits, with a digit somewhere unless it is so long that
/// no word fits (`deadbeef` and `facade` stay literal, `cafebabe1` does not).
fn is_hex_token(b: &[u8]) -> bool {
    b.len() >= 8
        && b.iter().all(u8::is_ascii_hexdigit)
        && (b.iter().any(u8::is_ascii_digit) || b.len() >= 16)
}

/// Account and reference numbers written in groups: `1234-5678-9012`.
fn is_digit_groups(b: &[u8]) -> bool {
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    digits >= 6
        && b[0].is_ascii_digit()
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.' | b' '))
}

/// `cus_8f7a6b5c4d3e`, `acc-000123`, `sk_live_4eC39HqLyjWDarjtT1zdp7dc`: a
/// short alphabetic prefix, a separator, then a numeric or mixed code.
/// `user-v2`, `top-100` and `bank-transfers` stay literal.
fn is_prefixed_id(b: &[u8]) -> bool {
    let run = b
        .iter()
        .position(|c| !(c.is_ascii_alphabetic() || matches!(c, b'_' | b'-')))
        .unwrap_or(b.len());
    let Some(sep) = b[..run].iter().rposition(|c| matches!(c, b'_' | b'-')) else {
        return false;
    };
    let (prefix, rest) = (&b[..sep], &b[sep + 1..]);
    if prefix.is_empty() || prefix.len() > 24 || !prefix[0].is_ascii_alphabetic() {
        return false;
    }
    if rest.len() < 4 || !rest.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let digits = rest.iter().filter(|c| c.is_ascii_digit()).count();
    digits >= 4 || (digits >= 1 && rest.len() >= 8 && transition_ratio(rest) >= 0.3)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
}

fn class(c: u8) -> Option<Class> {
    match c {
        b'A'..=b'Z' => Some(Class::Upper),
        b'a'..=b'z' => Some(Class::Lower),
        b'0'..=b'9' => Some(Class::Digit),
        _ => None,
    }
}

/// How often neighbouring alphanumerics change class (upper, lower, digit),
/// ignoring separators. Random base62 scores about 0.6, base36 about 0.4,
/// words and camelCase names below 0.25.
fn transition_ratio(b: &[u8]) -> f64 {
    let mut prev = None;
    let mut pairs = 0u32;
    let mut changes = 0u32;
    for c in b.iter().filter_map(|c| class(*c)) {
        if let Some(p) = prev {
            pairs += 1;
            if p != c {
                changes += 1;
            }
        }
        prev = Some(c);
    }
    if pairs == 0 {
        0.0
    } else {
        f64::from(changes) / f64::from(pairs)
    }
}

/// Random-looking base62/base64/base64url tokens (session ids, opaque
/// references). Length, character classes and how often they alternate
/// separate them from words, camelCase names and slugs.
fn is_random_token(b: &[u8]) -> bool {
    let n = b.len();
    if n < 8 {
        return false;
    }
    let body = match b.iter().rposition(|c| *c != b'=') {
        Some(i) if n - i - 1 <= 2 => &b[..=i],
        _ => return false,
    };
    let (mut upper, mut lower, mut digit, mut sep) = (0usize, 0usize, 0usize, 0usize);
    for &c in body {
        match class(c) {
            Some(Class::Upper) => upper += 1,
            Some(Class::Lower) => lower += 1,
            Some(Class::Digit) => digit += 1,
            None if matches!(c, b'_' | b'-' | b'+' | b'~') => sep += 1,
            None => return false,
        }
    }
    if sep * 8 > n {
        // Slugs (`how-to-open-an-account-2024`) have many separators.
        return false;
    }
    let classes = usize::from(upper > 0) + usize::from(lower > 0) + usize::from(digit > 0);
    let ratio = transition_ratio(body);
    let letters = upper + lower;
    if digit == 0 {
        // Pure letters: only long mixed-case strings that flip case often.
        return n >= 16 && upper > 0 && lower > 0 && ratio >= 0.35;
    }
    if classes < 2 {
        return false;
    }
    match n {
        24.. => ratio >= 0.25,
        12..=23 => {
            (ratio >= 0.4 && (digit >= 2 || (upper >= 2 && lower >= 2)))
                || (digit >= 2 && digit * 5 >= n && ratio >= 0.25)
        }
        _ => digit >= 2 && letters >= 2 && ratio >= 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_classes() {
        for (seg, want) in [
            ("4711", Some(ID)),
            ("0", Some(ID)),
            ("20260302", Some(DATE)),
            ("12345678", Some(ID)),
            ("2026-03-02", Some(DATE)),
            ("2026-03", Some(DATE)),
            ("2026-03-02T10:15:30Z", Some(DATE)),
            ("2026-13-02", Some(ID)),
            ("alice@example.com", Some(EMAIL)),
            ("alice%40example.com", Some(EMAIL)),
            ("deadbeef", None),
            ("cafebabe1", Some(ID)),
            ("transactions", None),
        ] {
            assert_eq!(classify_segment(seg), want, "{seg}");
        }
    }
}
