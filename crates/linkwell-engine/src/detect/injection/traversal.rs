//! Path traversal: climbing out of a directory or naming a system file.
//!
//! `../` (in any slash direction, after decoding) is never part of a benign
//! API value; well-known system files are flagged when they appear as a
//! path, so a free-text mention ("passwd") is not.

use super::triggers::{Feature, Hits};

/// Files an API never serves; matched on the lower-cased value with
/// backslashes turned into slashes.
const TARGETS: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/etc/group",
    "/etc/hosts",
    "/etc/issue",
    "/etc/motd",
    "/proc/self/",
    "/proc/version",
    "/var/log/",
    "win.ini",
    "boot.ini",
    "system.ini",
    "web-inf/",
    "web-infweb.xml",
    "meta-inf/",
    "/web.config",
    ".htaccess",
    ".htpasswd",
    ".ssh/id_rsa",
    ".ssh/authorized_keys",
    ".bash_history",
    ".git/config",
    "global.asa",
    "/inetpub/",
];

/// `0x2e`, `0x2f`, `0x5c` written out as hex literals: some servers and
/// path libraries accept them for `.`, `/` and `\`.
fn hex_literals(s: &str) -> String {
    s.replace("0x2e", ".")
        .replace("0x2f", "/")
        .replace("0x5c", "/")
}

/// The traversal rule `value` (decoded) breaks.
#[cfg(test)]
pub(super) fn detect(value: &str) -> Option<&'static str> {
    detect_with(value, super::triggers::scan(value), true)
}

/// [`detect`] given the prefilter's hits; `targets`: whether a system file
/// name alone counts (not in the request path, where it is a probe).
pub(super) fn detect_with(value: &str, h: Hits, targets: bool) -> Option<&'static str> {
    let b = value.as_bytes();
    if !b.iter().any(|&c| matches!(c, b'.' | b'/' | b'\\')) && !value.contains("0x") {
        return None;
    }
    let mut lower: String = value
        .chars()
        .map(|c| {
            if c == '\\' {
                '/'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if h.has(Feature::Hex) {
        lower = hex_literals(&lower);
    }
    // A path segment made only of dots (`..`, `....`, `..;`), or `..`
    // followed by an overlong-encoded slash (decoded to U+FFFD).
    let mut dot_segments = 0;
    for seg in lower.split('/') {
        let dots = seg.bytes().take_while(|&c| c == b'.').count();
        let rest = &seg[dots..];
        if dots >= 2 && (rest.is_empty() || rest == ";" || rest.starts_with('\u{fffd}')) {
            return Some("a '../' sequence climbing out of the directory");
        }
        dot_segments += usize::from(dots == 1 && rest.is_empty());
    }
    // `/..{file}` and `//..`: a parent reference glued to what follows.
    if lower.starts_with("/..") || lower.contains("//..") {
        return Some("a '../' sequence climbing out of the directory");
    }
    if targets && h.has(Feature::Target) && TARGETS.iter().any(|t| lower.contains(t)) {
        return Some("a system file path");
    }
    // `/./././` and `/.//./`: current-directory segments only a
    // normalisation bypass repeats.
    if dot_segments >= 2 || (dot_segments == 1 && lower.contains("//")) {
        return Some("repeated './' segments (path normalisation bypass)");
    }
    // `........etc`: dot runs used for path truncation.
    if h.has(Feature::Dots) {
        return Some("a run of dots used for traversal or truncation");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacks() {
        super::super::assert_caught(
            super::super::InjectionClass::PathTraversal,
            &[
                "../../etc/passwd",
                "..\\..\\windows\\win.ini",
                "/../..//../..//{file}",
                "....//....//etc/hosts",
                "file:/etc/passwd",
                "c:\\boot.ini",
                "/.../.../.../{file}",
                "WEB-INF/web.xml",
                "/static/..",
                "/..0x2f..0x2f{file}",
                "/0x2e0x2e/{file}",
                "/.//././/./{file}",
                "..%c0%af..%c0%af".replace("%c0%af", "\u{fffd}").as_str(),
                "c:/inetpub/wwwroot/global.asa",
                "..\\..\\etc\\passwd",
                "c:\\inetpub\\wwwroot\\x.asp",
            ],
            |a| detect(a).is_some(),
        );
    }

    #[test]
    fn benign() {
        for b in [
            "/v1/accounts/123/transactions",
            "report.final.pdf",
            "wait... what",
            "1.2.3",
            "https://partner.example.com/cb",
            "I forgot my passwd",
            "v2..v3",
            "/get/foo../1234",
            "/get/foo.../1234",
            "C:\\Windows\\System32\\ls",
            "./report.pdf",
            "0x2e",
        ] {
            assert_eq!(detect(b), None, "false positive on {b}");
        }
    }
}
