//! Cross-site scripting: a small HTML/JS context scanner.
//!
//! A value is XSS when, placed in a page, it would start running script:
//! it opens a tag that runs or loads script (`<script`, `<iframe`,
//! `<object`, ...), gives any tag an event handler (`on…=`) or a script
//! URL, or, already inside a script or attribute, breaks out and calls a
//! JS sink. Formatting markup (`<b>`, `<p>`) and plain text with `<` are
//! not flagged: an API that stores rich text must not drown in findings.

use super::triggers::{Feature, Hits};

/// Tags that run, load or restyle content on their own.
const DANGEROUS_TAGS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "meta", "base", "link",
    "style", "import", "isindex", "bgsound", "layer", "ilayer", "xss", "template", "portal", "set",
    "animate", "handler", "listener", "vmlframe",
];

/// Schemes that run script when navigated to.
const SCRIPT_SCHEMES: &[&str] = &[
    "javascript:",
    "vbscript:",
    "livescript:",
    "mocha:",
    "data:text/html",
];

/// JS calls that only a payload makes from a request value.
const SINKS: &[&str] = &[
    "alert",
    "prompt",
    "confirm",
    "eval",
    "settimeout",
    "setinterval",
    "fromcharcode",
    "atob",
    "execscript",
    "msgbox",
];

/// Property reads that only script payloads contain.
const JS_PROPERTIES: &[&str] = &[
    "document.cookie",
    "document.domain",
    "document.write",
    "document.location",
    "window.location",
    "location.href",
    ".innerhtml",
    "document.body",
];

/// `s` lower-cased with whitespace, control characters and NULs removed:
/// browsers ignore them inside a scheme (`java\tscript:`).
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The XSS rule `value` (decoded) breaks.
#[cfg(test)]
pub(super) fn detect(value: &str) -> Option<&'static str> {
    detect_with(value, super::triggers::scan(value))
}

/// [`detect`] given the prefilter's hits: checks whose trigger is absent
/// are skipped.
pub(super) fn detect_with(value: &str, h: Hits) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    let b = lower.as_bytes();
    if h.has(Feature::Lt)
        && let Some(rule) = tags(b)
    {
        return Some(rule);
    }
    if h.has(Feature::Scheme) || h.has(Feature::JsProperty) || h.has(Feature::Css) {
        let squeezed = squeeze(value);
        if SCRIPT_SCHEMES.iter().any(|s| squeezed.contains(s)) {
            return Some("a script URL (javascript:, vbscript:, data:text/html)");
        }
        if JS_PROPERTIES.iter().any(|p| squeezed.contains(p)) {
            return Some("a script reading the page (document.cookie, location, ...)");
        }
        if squeezed.contains(":expression(")
            || squeezed.contains("-moz-binding")
            || [
                "behavior:url(",
                "behaviour:url(",
                "binding:url(",
                "url(javascript",
                "url(vbscript",
            ]
            .iter()
            .any(|p| squeezed.contains(p))
        {
            return Some("a script-running CSS expression");
        }
    }
    if h.has(Feature::Sink) && sink_call(b) {
        return Some("a call to a JS sink (alert, eval, ...)");
    }
    if h.has(Feature::Brackets) && jsfuck(b) {
        return Some("JSFuck-style obfuscated JavaScript");
    }
    None
}

/// Scans every `<` for a tag that would run script.
fn tags(b: &[u8]) -> Option<&'static str> {
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let at = i + off;
        i = at + 1;
        let mut j = at + 1;
        // `< script`, `</script`, `<%00script` and friends.
        while j < b.len() && (b[j] == b'/' || b[j] == b' ' || b[j] == 0) {
            j += 1;
        }
        if b[j..].starts_with(b"!--#") {
            // Server-side include; the command analyser names it.
            continue;
        }
        // CDATA hiding markup (`<![CDATA[<img src=…`); plain XML and
        // CDATA with text are ordinary documents.
        if b[j..].starts_with(b"![cdata[<") {
            return Some("markup hidden in a CDATA section");
        }
        let start = j + usize::from(b.get(j) == Some(&b'?'));
        let name_end = b[start..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b':' || *c == b'-'))
            .map_or(b.len(), |p| start + p);
        if name_end == start || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let name = &b[start..name_end];
        let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
        if DANGEROUS_TAGS.iter().any(|t| t.as_bytes() == local) {
            return Some("a script-capable HTML tag");
        }
        let tag_end = b[name_end..]
            .iter()
            .position(|&c| c == b'>' || c == b'<')
            .map_or(b.len(), |p| name_end + p);
        if let Some(rule) = attributes(&b[name_end..tag_end]) {
            return Some(rule);
        }
    }
    None
}

/// Event handlers and script URLs among a tag's attributes.
fn attributes(a: &[u8]) -> Option<&'static str> {
    for k in 0..a.len() {
        let boundary = k == 0
            || matches!(
                a[k - 1],
                b' ' | b'/' | b'"' | b'\'' | b'\t' | b'\n' | b'\r' | 0x0c | b'`' | b';'
            );
        if !boundary {
            continue;
        }
        let rest = &a[k..];
        if rest.starts_with(b"on") {
            let letters = rest[2..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            if letters >= 3 && rest[2 + letters..].contains(&b'=') {
                return Some("an HTML event handler attribute (on...=)");
            }
        }
        if rest.starts_with(b"dataformatas") || rest.starts_with(b"datafld") {
            return Some("an IE data-binding attribute rendering HTML");
        }
        for attr in [
            &b"src"[..],
            b"href",
            b"action",
            b"formaction",
            b"data",
            b"background",
            b"dynsrc",
            b"lowsrc",
            b"style",
            b"xlink:href",
            b"datasrc",
        ] {
            if rest.starts_with(attr) {
                let value = String::from_utf8_lossy(&rest[attr.len()..]);
                let sq = squeeze(&value);
                if SCRIPT_SCHEMES.iter().any(|s| sq.contains(s))
                    || sq.contains("expression(")
                    || sq.contains("url(javascript")
                {
                    return Some("an attribute with a script URL");
                }
            }
        }
    }
    None
}

/// `(![]+[])[+!+[]]`: script written with six characters only.
fn jsfuck(b: &[u8]) -> bool {
    let pairs = b.windows(2).filter(|w| w == b"[]").count();
    pairs >= 3 && b.windows(3).any(|w| w == b"![]" || w == b"+[]")
}

/// `alert(1)`, `eval\`…\``: a sink name right before `(` or a backtick,
/// not glued to a preceding word.
fn sink_call(b: &[u8]) -> bool {
    for sink in SINKS {
        let s = sink.as_bytes();
        let mut from = 0;
        while let Some(off) = b[from..].windows(s.len()).position(|w| w == s) {
            let at = from + off;
            from = at + 1;
            // Not glued to a word (also not to a non-ASCII letter).
            let before_ok = at == 0 || {
                let p = b[at - 1];
                p.is_ascii() && !(p.is_ascii_alphanumeric() || p == b'_')
            };
            let open = at + s.len();
            let called = match b.get(open) {
                Some(b'`') => true,
                // `alert(1)`: an argument list that closes.
                Some(b'(') => b[open + 1..].contains(&b')'),
                _ => false,
            };
            if before_ok && called {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacks() {
        super::super::assert_caught(
            super::super::InjectionClass::Xss,
            &[
                "<script>alert(1)</script>",
                "<ScRiPt src=//evil.example/x.js>",
                "\"><img src=x onerror=alert(1)>",
                "<svg/onload=alert(1)>",
                "<body onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"x\")>",
                "javascript:alert(document.cookie)",
                "java\tscript:alert(1)",
                "<a href=\"jav&#x09;ascript:alert(1)\">x</a>"
                    .replace("&#x09;", "\t")
                    .as_str(),
                "\";alert('xss');//",
                "'-prompt(1)-'",
                "<iframe src=data:text/html,x>",
                "<div style=\"width:expression(alert(1))\">",
                "<xml id=x><x><c><![cdata[<img src=\"javas]]>",
                "<t:set attributename=\"innerhtml\" to=\"x\">",
                "<div style=\"behavior: url(x.htc);\">",
                "<img src=\"mocha:[code]\">",
                "(![]+[])[+!+[]]",
                "<v:vmlframe src=\"foo.com/sup.fml\"/>",
                "<p style=\"background:url(javascript:alert(1))\">",
                "<div datafld=\"b\" dataformatas=\"html\" src=\"#x\"></div>",
                "<object classid=clsid:ae24fdae><param name=url value=javascript:alert(1)></object>",
            ],
            |a| detect(a).is_some(),
        );
    }

    #[test]
    fn benign() {
        for b in [
            "<b>bold</b> and <p>para</p>",
            "a < b and c > d",
            "Invoice <12345>",
            "https://partner.example.com/callback?x=1",
            "Please confirm (urgent)",
            "confirmation",
            "salary < 3000",
            "O'Reilly",
            "onboarding=true",
            "<?xml version=\"1.0\"?><order><id>12345</id></order>",
            "<?xml version=\"1.0\"?><xml><element java.Runtime=\"v\">e</element></xml>",
            "<note><![CDATA[some text]]></note>",
            "/get/eval(",
            "<?xml version=\"1.0\"?><svg></svg>",
            "Ð¼scriptÐ¾alert(Â¢XSSÂ¢)",
            "ids[]=1&ids[]=2",
            "[] + []",
        ] {
            assert_eq!(detect(b), None, "false positive on {b}");
        }
    }
}
