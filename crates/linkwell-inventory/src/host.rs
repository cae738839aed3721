//! Host consolidation: one API must get one host name in the inventory, no
//! matter which log wrote it (`API.Example.com:443`, `api.example.com.`,
//! `[2001:db8::1]`), and a hostile `Host` header must not break the key.

use std::fmt::Write;

/// The longest host kept; real DNS names are at most 253 characters.
const MAX_HOST_LEN: usize = 255;

/// Lower-cases, strips a trailing dot and the default ports 80/443, drops
/// IPv6 brackets when no port remains (`[::1]:443` -> `::1`, but
/// `[::1]:8080` keeps them because `::1:8080` would be ambiguous), and maps
/// empty, `-` and `_` (what logs write for "no host") to `""`. A URL or
/// `user@host` is reduced to its host. Characters that cannot occur in a
/// host are percent-encoded so the result is always one printable token.
pub fn normalize_host(host: &str) -> String {
    let mut out = String::new();
    normalize_into(host, &mut out);
    out
}

/// [`normalize_host`] into a reused buffer (the hot path).
pub(crate) fn normalize_into(host: &str, out: &mut String) {
    out.clear();
    let mut h = host.trim();
    if let Some(i) = h.find("://") {
        h = &h[i + 3..];
    }
    if let Some(i) = h.find(['/', '?', '#']) {
        h = &h[..i];
    }
    if let Some(i) = h.rfind('@') {
        h = &h[i + 1..];
    }
    if h.is_empty() || h == "-" || h == "_" {
        return;
    }
    let (name, port) = if let Some(rest) = h.strip_prefix('[') {
        match rest.find(']') {
            Some(i) => (&rest[..i], rest[i + 1..].strip_prefix(':')),
            None => (rest, None),
        }
    } else if h.bytes().filter(|&b| b == b':').count() > 1 {
        // A bare IPv6 address: any port would be ambiguous, so none is read.
        (h, None)
    } else {
        match h.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (h, None),
        }
    };
    let name = name.trim_end_matches('.');
    if name.is_empty() || name == "-" || name == "_" {
        return;
    }
    let port = port
        .filter(|p| !p.is_empty())
        .and_then(|p| match p.parse::<u16>() {
            Ok(80 | 443) => None,
            Ok(n) => Some(Port::Num(n)),
            Err(_) => Some(Port::Raw(p)),
        });
    let bracket = port.is_some() && name.contains(':');
    if bracket {
        out.push('[');
    }
    push_clean(name, out);
    if bracket {
        out.push(']');
    }
    match port {
        Some(Port::Num(n)) => {
            let _ = write!(out, ":{n}");
        }
        Some(Port::Raw(p)) => {
            out.push(':');
            push_clean(p, out);
        }
        None => {}
    }
    if out.len() > MAX_HOST_LEN {
        out.truncate(out.floor_char_boundary(MAX_HOST_LEN));
    }
}

enum Port<'a> {
    Num(u16),
    Raw(&'a str),
}

fn push_clean(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' => out.push(char::from(b.to_ascii_lowercase())),
            b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b':' | b'%' => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_host as n;

    #[test]
    fn host_forms() {
        assert_eq!(n("API.Example.com"), "api.example.com");
        assert_eq!(n("api.example.com."), "api.example.com");
        assert_eq!(n("api.example.com:443"), "api.example.com");
        assert_eq!(n("api.example.com:80"), "api.example.com");
        assert_eq!(n("api.example.com.:0443"), "api.example.com");
        assert_eq!(n("api.example.com:8443"), "api.example.com:8443");
        assert_eq!(n("api.example.com:"), "api.example.com");
        assert_eq!(n("[2001:DB8::1]"), "2001:db8::1");
        assert_eq!(n("2001:db8::1"), "2001:db8::1");
        assert_eq!(n("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(n("[2001:db8::1]:8080"), "[2001:db8::1]:8080");
        assert_eq!(n(""), "");
        assert_eq!(n("-"), "");
        assert_eq!(n("_"), "");
        assert_eq!(n("  "), "");
        assert_eq!(
            n("https://user@Api.Example.com:443/v1/x"),
            "api.example.com"
        );
        assert_eq!(n("10.0.0.1:80"), "10.0.0.1");
        assert_eq!(n("evil host\n"), "evil%20host");
        assert_eq!(n("bücher.de"), "b%C3%BCcher.de");
        assert!(n(&"a".repeat(10_000)).len() <= 255);
    }
}
