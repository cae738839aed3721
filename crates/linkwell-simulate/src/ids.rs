//! Identifier shapes that appear in the logs: hex request ids, UUIDs,
//! prefixed base62 ids, base64url (for JWT-looking tokens) and addresses.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use linkwell_core::Timestamp;

use crate::rng::Rng;

const HEX: &[u8; 16] = b"0123456789abcdef";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// 32 lower-case hex digits, as NGINX `$request_id` writes them.
pub(crate) fn push_hex128(out: &mut Vec<u8>, v: u128) {
    let mut b = [0u8; 32];
    for (i, c) in b.iter_mut().enumerate() {
        *c = HEX[((v >> ((31 - i) * 4)) & 0xF) as usize];
    }
    out.extend_from_slice(&b);
}

/// A version-4 UUID in canonical form, derived from 128 random bits.
fn uuid_bytes(v: u128) -> [u8; 36] {
    let v = (v & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    let mut b = [b'-'; 36];
    let mut j = 0;
    for i in (0..32).rev() {
        b[j] = HEX[((v >> (i * 4)) & 0xF) as usize];
        j += if matches!(i, 24 | 20 | 16 | 12) { 2 } else { 1 };
    }
    b
}

pub(crate) fn push_uuid(out: &mut Vec<u8>, v: u128) {
    out.extend_from_slice(&uuid_bytes(v));
}

/// Same as [`push_uuid`], into a `String`.
pub(crate) fn push_uuid_str(out: &mut String, v: u128) {
    out.extend(uuid_bytes(v).iter().map(|&c| char::from(c)));
}

/// `prefix` followed by `n` random base62 characters (`cus_7Hq2...`).
pub(crate) fn base62_id(rng: &mut Rng, prefix: &str, n: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    let mut body: Vec<u8> = (0..n).map(|_| BASE62[rng.index(BASE62.len())]).collect();
    // Real ids nearly always carry digits; make sure these do (at least two
    // when long enough), so that path templating sees them as ids.
    let want = n.min(2);
    while body.iter().filter(|c| c.is_ascii_digit()).count() < want {
        let i = rng.index(n);
        body[i] = b'0' + rng.below(10) as u8;
    }
    s.extend(body.iter().map(|&c| char::from(c)));
    s
}

/// `n` random lower-case hex digits (serials, fingerprints).
pub(crate) fn hex_string(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(HEX[rng.index(16)]))
        .collect::<String>()
}

/// base64url without padding (RFC 4648 §5), as used in JWTs.
pub(crate) fn push_b64url(out: &mut String, data: &[u8]) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3F;
            out.push(char::from(B64URL[idx as usize]));
        }
    }
}

/// A JWT-shaped bearer token (real base64url JSON header and claims, random
/// signature) for `sub`, issued at `iat` (epoch seconds).
pub(crate) fn push_jwt(out: &mut String, rng: &mut Rng, sub: &str, iat: i64) {
    push_b64url(out, br#"{"alg":"RS256","typ":"JWT","kid":"eb-2026-01"}"#);
    out.push('.');
    let mut claims = String::with_capacity(160);
    let _ = write!(
        claims,
        r#"{{"iss":"https://auth.examplebank.com","sub":"{sub}","aud":"api.examplebank.com","scope":"accounts:read","iat":{iat},"exp":{}}}"#,
        iat + 3600
    );
    push_b64url(out, claims.as_bytes());
    out.push('.');
    let sig: Vec<u8> = (0..64).map(|_| rng.next_u64() as u8).collect();
    push_b64url(out, &sig);
}

/// Appends an IPv4 address given as a `u32`.
pub(crate) fn push_ipv4(out: &mut String, ip: u32) {
    linkwell_core::ip::push_ipv4(out, std::net::Ipv4Addr::from(ip));
}

/// Appends an IPv6 address given as a `u128` (RFC 5952 compressed form).
pub(crate) fn push_ipv6(out: &mut String, ip: u128) {
    let _ = write!(out, "{}", Ipv6Addr::from(ip));
}

pub(crate) fn ipv4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// Appends the civil date (`2026-03-02`) of `ms`.
pub(crate) fn push_date(out: &mut String, ms: i64) {
    let (y, m, d, ..) = Timestamp::from_millis(ms).to_civil();
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let mut s = String::new();
        push_date(&mut s, 1_772_446_530_000);
        assert_eq!(s, "2026-03-02");
    }

    #[test]
    fn ipv4_text() {
        let mut s = String::new();
        push_ipv4(&mut s, ipv4(81, 2, 0, 255));
        assert_eq!(s, "81.2.0.255");
        s.clear();
        push_ipv4(&mut s, ipv4(10, 100, 9, 99));
        assert_eq!(s, "10.100.9.99");
    }

    #[test]
    fn uuid_shape() {
        let mut b = Vec::new();
        push_uuid(&mut b, u128::MAX);
        let s = String::from_utf8(b).unwrap();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(s.matches('-').count(), 4);
    }

    #[test]
    fn base64url_known_vectors() {
        let mut s = String::new();
        push_b64url(&mut s, b"foobar");
        assert_eq!(s, "Zm9vYmFy");
        s.clear();
        push_b64url(&mut s, b"fo");
        assert_eq!(s, "Zm8");
        s.clear();
        push_b64url(&mut s, br#"{"alg":"RS256"}"#);
        assert_eq!(s, "eyJhbGciOiJSUzI1NiJ9");
    }

    #[test]
    fn jwt_looks_like_one() {
        let mut s = String::new();
        push_jwt(&mut s, &mut Rng::new(1), "cus_x", 1_772_446_530);
        assert!(s.starts_with("eyJ"));
        assert_eq!(s.split('.').count(), 3);
        assert!(linkwell_core::sensitive::classify_value(&s).is_some());
    }
}
