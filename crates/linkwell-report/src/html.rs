//! Escaping and formatting helpers.
//!
//! Every string that comes from a scan (paths, user agents, excerpts, even
//! input file names) is attacker-controlled. It reaches the page only through
//! [`esc`], which is safe in element text, in quoted attribute values and in
//! SVG `<text>`/`<title>` alike.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use linkwell_core::time::Timestamp;

/// Escapes `& < > " '` and neutralises characters that are invisible or
/// reorder text (C0/C1 controls, bidi overrides), which could disguise a
/// hostile path as a harmless one in front of a reviewer.
pub(crate) struct Esc<'a>(&'a str);

pub(crate) fn esc(s: &str) -> Esc<'_> {
    Esc(s)
}

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let rep: Cow<'static, str> = match c {
                '&' => "&amp;".into(),
                '<' => "&lt;".into(),
                '>' => "&gt;".into(),
                '"' => "&quot;".into(),
                '\'' => "&#39;".into(),
                '\t' | '\n' | '\r' => continue,
                c if c.is_control() => "\u{FFFD}".into(),
                '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                    format!("[U+{:04X}]", u32::from(c)).into()
                }
                _ => continue,
            };
            f.write_str(&s[start..i])?;
            f.write_str(&rep)?;
            start = i + c.len_utf8();
        }
        f.write_str(&s[start..])
    }
}

/// [`esc`] into an owned string.
#[cfg(test)]
pub(crate) fn escape(s: &str) -> String {
    esc(s).to_string()
}

/// Shortens `s` to at most `max` characters, ending with `…` when cut.
pub(crate) fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Short axis labels: `950`, `1.2k`, `34k`, `5.6M`.
pub(crate) fn compact(v: f64) -> String {
    let a = v.abs();
    let (x, unit) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let prec = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{x:.prec$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s}{unit}")
}

/// `842 ms`, `3.4 s`, `2 min 05 s`, `1 h 02 min`.
pub(crate) fn duration_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{} min {:02} s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{} h {:02} min", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

/// A duration given in microseconds, for time ranges.
pub(crate) fn span(micros: i64) -> String {
    let ms = u64::try_from(micros.max(0) / 1000).unwrap_or(u64::MAX);
    if ms >= 86_400_000 {
        format!("{} d {:02} h", ms / 86_400_000, (ms / 3_600_000) % 24)
    } else {
        duration_ms(ms)
    }
}

/// `<time datetime="…">2026-03-02 10:15:30Z</time>`: readable, exact in the attribute.
pub(crate) fn time(out: &mut String, t: Timestamp) {
    let (y, mo, d, h, mi, s) = t.to_civil();
    let _ = write!(
        out,
        "<time datetime=\"{t}\">{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z</time>"
    );
}

/// A latency in milliseconds with sensible precision.
pub(crate) fn millis(v: f64) -> String {
    if !v.is_finite() {
        "–".to_owned()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A share as a percentage with one decimal, `0` when the total is zero.
pub(crate) fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "0%".to_owned();
    }
    let p = part as f64 * 100.0 / total as f64;
    if p > 0.0 && p < 0.1 {
        "<0.1%".to_owned()
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("plain /v1/a"), "plain /v1/a");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn neutralises_controls_and_bidi() {
        assert_eq!(escape("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(escape("x\u{202E}gpj.exe"), "x[U+202E]gpj.exe");
        assert_eq!(escape("tab\tnl\n"), "tab\tnl\n");
        assert_eq!(escape("日本 ü"), "日本 ü");
    }

    #[test]
    fn clips_on_char_boundaries() {
        assert_eq!(clip("abcdef", 10), "abcdef");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("ééééé", 3), "éé…");
    }

    #[test]
    fn number_formats() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(1200.0), "1.2k");
        assert_eq!(compact(2000.0), "2k");
        assert_eq!(compact(12_500.0), "12.5k");
        assert_eq!(compact(5_000_000.0), "5M");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(duration_ms(842), "842 ms");
        assert_eq!(duration_ms(3400), "3.4 s");
        assert_eq!(duration_ms(125_000), "2 min 05 s");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(0, 0), "0%");
    }
}
