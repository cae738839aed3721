//! Writing addresses into reusable buffers.
//!
//! Summaries and the simulator format millions of IPv4 addresses; doing it
//! by hand into a buffer the caller keeps avoids the formatter and an
//! allocation per address.

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

/// Appends `ip` as its `Display` writes it.
pub fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => push_ipv4(out, v4),
        IpAddr::V6(_) => {
            let _ = write!(out, "{ip}");
        }
    }
}

/// Appends a dotted-quad IPv4 address.
pub fn push_ipv4(out: &mut String, ip: Ipv4Addr) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_display() {
        for ip in [
            "0.0.0.0",
            "81.2.0.255",
            "10.100.9.99",
            "255.255.255.255",
            "2a00:23c4::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            let mut s = String::from("x");
            push_ip(&mut s, ip);
            assert_eq!(s, format!("x{ip}"));
        }
    }
}
