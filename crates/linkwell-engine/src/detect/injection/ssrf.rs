//! SSRF-style targets (OWASP API7:2023): a URL in a request value that
//! points the server at itself, its network or its cloud metadata service,
//! or uses a scheme that reaches local files or raw sockets. Legitimate
//! callbacks to public https hosts pass.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Schemes no callback or webhook URL uses.
const SCHEMES: &[&str] = &[
    "file", "gopher", "dict", "ldap", "ldaps", "tftp", "jar", "netdoc", "phar", "expect", "sftp",
    "smb", "php", "glob",
];

/// Host names of metadata services and the local machine.
const HOSTS: &[&str] = &[
    "localhost",
    "metadata.google.internal",
    "metadata",
    "instance-data",
    "kubernetes.default.svc",
];

/// Reads an IPv4 address the way `inet_aton` does (`127.1`, `0x7f.1`,
/// `2130706433`, `0177.0.0.1`), as servers that fetch URLs do.
fn loose_ipv4(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let v = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            u64::from_str_radix(h, 16).ok()?
        } else if p.len() > 1 && p.starts_with('0') {
            u64::from_str_radix(p, 8).ok()?
        } else {
            p.parse::<u64>().ok()?
        };
        nums.push(v);
    }
    let (last, head) = nums.split_last()?;
    let mut addr: u64 = 0;
    for (i, v) in head.iter().enumerate() {
        if *v > 255 {
            return None;
        }
        addr |= v << (24 - 8 * i);
    }
    let room = 32 - 8 * head.len() as u32;
    if room < 64 && *last >= (1u64 << room) {
        return None;
    }
    u32::try_from(addr | last).ok().map(Ipv4Addr::from)
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.octets()[0] == 0
        || ip == Ipv4Addr::new(100, 100, 100, 200)
        || (ip.octets()[0] == 100 && (64..128).contains(&ip.octets()[1]))
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Whether `host` (no port, brackets kept for IPv6) is the server's own
/// side of the network.
fn internal_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(internal_v6);
    }
    if HOSTS.contains(&host.as_str())
        || host.ends_with(".localhost")
        || host.ends_with(".internal")
        || host.ends_with(".local")
    {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => internal_v4(v4),
        Ok(IpAddr::V6(v6)) => internal_v6(v6),
        Err(_) => loose_ipv4(&host).is_some_and(internal_v4),
    }
}

/// The SSRF rule `value` (decoded) breaks.
pub(super) fn detect(value: &str) -> Option<&'static str> {
    if !value.contains(':') && !value.starts_with("//") {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    // Scheme-relative URLs are fetched with the server's own scheme.
    let mut starts: Vec<(usize, &str)> = Vec::new();
    if let Some(rest) = lower.strip_prefix("//") {
        starts.push((2, rest));
    }
    let mut from = 0;
    while let Some(off) = lower[from..].find(':') {
        let at = from + off;
        from = at + 1;
        // Byte-wise: the byte found is the last one of its character, so
        // the next index is a character boundary.
        let scheme_start = lower.as_bytes()[..at]
            .iter()
            .rposition(|&c| !(c.is_ascii_alphanumeric() || c == b'+' || c == b'-' || c == b'.'))
            .map_or(0, |p| p + 1);
        let scheme = &lower[scheme_start..at];
        if scheme.is_empty() || !scheme.as_bytes()[0].is_ascii_alphabetic() {
            continue;
        }
        let after = &lower[at + 1..];
        if SCHEMES.contains(&scheme)
            && (after.starts_with('/')
                || scheme == "dict"
                || scheme == "gopher"
                || scheme == "expect")
        {
            return Some(
                "a URL with a local-file or raw-socket scheme (file:, gopher:, dict:, ...)",
            );
        }
        if let Some(rest) = after.strip_prefix("//") {
            starts.push((at + 3, rest));
        }
        if starts.len() > 8 {
            break;
        }
    }
    for (_, rest) in starts {
        let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = if host_port.starts_with('[') {
            host_port.find(']').map_or(host_port, |e| &host_port[..=e])
        } else {
            host_port.split(':').next().unwrap_or(host_port)
        };
        if !host.is_empty() && internal_host(host) {
            return Some("a URL pointing at an internal or metadata address");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacks() {
        super::super::assert_caught(
            super::super::InjectionClass::Ssrf,
            &[
                "http://169.254.169.254/latest/meta-data",
                "http://metadata.google.internal/computeMetadata/v1/",
                "https://localhost:8443/admin",
                "http://127.0.0.1/",
                "http://127.1/",
                "http://2130706433/",
                "http://0x7f000001/",
                "http://0177.0.0.1/",
                "http://[::1]:80/",
                "http://[::ffff:127.0.0.1]/",
                "http://expected.example.com@10.0.0.5/",
                "//192.168.1.1/x",
                "file:///etc/passwd",
                "gopher://evil.example:70/_x",
                "dict://127.0.0.1:11211/stat",
                "url=http://0.0.0.0:6379/",
                "http://100.100.100.200/latest/meta-data/",
                "é:x éfile:///etc/passwd",
            ],
            |a| detect(a).is_some(),
        );
    }

    #[test]
    fn benign() {
        for b in [
            "https://partner.example.com/webhooks/payments?id=5",
            "https://api.examplebank.com/v1/callback",
            "mailto:john@example.com",
            "10:30",
            "2026-01-01T10:00:00Z",
            "http://8.8.8.8/",
            "urn:isbn:0451450523",
            "Note: call me at 10",
            "data://text/plain;base64,SSBsb3ZlIFBIUAo=",
        ] {
            assert_eq!(detect(b), None, "false positive on {b}");
        }
    }
}
