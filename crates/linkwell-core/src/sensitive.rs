//! Recognising sensitive data in URLs, headers and body samples.
//!
//! Used twice: the inventory records which sensitive types an endpoint
//! carries (PCI DSS scoping starts there), and the engine reports sensitive
//! data where it must not be (credentials and card numbers in URLs end up in
//! every proxy's access log). Checks are validating, not just pattern-shaped:
//! a card number must pass Luhn, an IBAN must pass mod-97.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SensitiveKind {
    /// Payment card number (PAN), Luhn-valid, 13–19 digits.
    CardNumber,
    Iban,
    Email,
    /// A JSON Web Token (three base64url parts, JSON header).
    Jwt,
    /// A parameter whose name says it is a password or secret.
    Password,
    /// A parameter whose name says it is an API key or access token.
    ApiKey,
}

impl SensitiveKind {
    pub fn name(self) -> &'static str {
        match self {
            SensitiveKind::CardNumber => "card-number",
            SensitiveKind::Iban => "iban",
            SensitiveKind::Email => "email",
            SensitiveKind::Jwt => "jwt",
            SensitiveKind::Password => "password",
            SensitiveKind::ApiKey => "api-key",
        }
    }

    /// Credentials are worse than personal data in a URL: they grant access.
    pub fn is_credential(self) -> bool {
        matches!(
            self,
            SensitiveKind::Jwt | SensitiveKind::Password | SensitiveKind::ApiKey
        )
    }
}

/// Classifies a query/body parameter by its name, then by its value.
pub fn classify_param(name: &str, value: &str) -> Option<SensitiveKind> {
    const SECRET_NAMES: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "pin",
        "otp",
    ];
    const KEY_NAMES: &[&str] = &[
        "api_key",
        "apikey",
        "api-key",
        "access_token",
        "token",
        "auth_token",
        "id_token",
        "refresh_token",
        "key",
    ];
    let n = name.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if SECRET_NAMES.iter().any(|s| n.eq_ignore_ascii_case(s)) {
        return (!value.is_empty()).then_some(SensitiveKind::Password);
    }
    if KEY_NAMES.iter().any(|s| n.eq_ignore_ascii_case(s)) {
        return (!value.is_empty()).then_some(SensitiveKind::ApiKey);
    }
    classify_value(value)
}

/// Classifies a single value (already percent-decoded where that matters).
pub fn classify_value(v: &str) -> Option<SensitiveKind> {
    // Runs for every token of every URL the inventory and the engine see, so
    // each check is guarded by a byte-level test that it could succeed, and
    // nothing allocates unless a value really is what it looks like.
    let raw = v.as_bytes();
    if raw.len() < 5 {
        return None;
    }
    // `trim` is Unicode-aware; only pay for it when an end could be space.
    let edge = |c: u8| c.is_ascii_whitespace() || c >= 0x80;
    let t = if edge(raw[0]) || edge(raw[raw.len() - 1]) {
        v.trim()
    } else {
        v
    };
    let b = t.as_bytes();
    if b.len() < 5 {
        return None;
    }
    // A JWT header is base64url JSON (`eyJ`), optionally after "Bearer ".
    let jwt_like = b.starts_with(b"eyJ")
        || ((b.starts_with(b"Bearer ") || b.starts_with(b"bearer ")) && b[7..].starts_with(b"eyJ"));
    if jwt_like && is_jwt(t) {
        return Some(SensitiveKind::Jwt);
    }
    if b[0].is_ascii_digit() {
        if is_card_number(t) {
            return Some(SensitiveKind::CardNumber);
        }
    } else if b.len() >= 15 && b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase() && is_iban(t)
    {
        // IBAN: country code then check digits, at least 15 characters.
        return Some(SensitiveKind::Iban);
    }
    let email_like = b.contains(&b'@') || (b.contains(&b'%') && b.windows(3).any(|w| w == b"%40"));
    if email_like && is_email(t) {
        return Some(SensitiveKind::Email);
    }
    None
}

/// Scans free text (a URL path, a body sample) for embedded sensitive values,
/// calling `found` once per kind per token.
pub fn scan_text(text: &str, mut found: impl FnMut(SensitiveKind)) {
    const SEPARATOR: [bool; 256] = {
        let mut t = [false; 256];
        let seps = b"/?&=,; \"':{}[]";
        let mut i = 0;
        while i < seps.len() {
            t[seps[i] as usize] = true;
            i += 1;
        }
        t
    };
    let b = text.as_bytes();
    let mut start = 0;
    for i in 0..=b.len() {
        if i < b.len() && !SEPARATOR[usize::from(b[i])] {
            continue;
        }
        // Separators are ASCII, so these are character boundaries.
        if i - start >= 5
            && let Some(k) = classify_value(&text[start..i])
        {
            found(k);
        }
        start = i + 1;
    }
}

#[inline]
pub fn is_card_number(v: &str) -> bool {
    let mut digits = 0u32;
    let mut sum = 0u32;
    // Walk right-to-left over digits, allowing single spaces or dashes between groups.
    let bytes = v.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_digit)
        || !bytes.last().is_some_and(u8::is_ascii_digit)
    {
        return false;
    }
    for &b in bytes.iter().rev() {
        match b {
            b'0'..=b'9' => {
                let mut d = u32::from(b - b'0');
                if digits % 2 == 1 {
                    d *= 2;
                    if d > 9 {
                        d -= 9;
                    }
                }
                sum += d;
                digits += 1;
            }
            b' ' | b'-' => {}
            _ => return false,
        }
    }
    // Issuer prefixes: Visa 4, Mastercard 2/5, Amex 3, Discover/UnionPay 6.
    (13..=19).contains(&digits) && sum.is_multiple_of(10) && matches!(bytes[0], b'2'..=b'6')
}

pub fn is_iban(v: &str) -> bool {
    let compact = || v.bytes().filter(|b| *b != b' ');
    let len = compact().count();
    let mut head = compact();
    let (Some(c0), Some(c1), Some(d0), Some(d1)) =
        (head.next(), head.next(), head.next(), head.next())
    else {
        return false;
    };
    if !(15..=34).contains(&len)
        || !c0.is_ascii_uppercase()
        || !c1.is_ascii_uppercase()
        || !d0.is_ascii_digit()
        || !d1.is_ascii_digit()
        || !compact().all(|b| b.is_ascii_alphanumeric())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for b in compact().skip(4).chain(compact().take(4)) {
        let val = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b.to_ascii_uppercase() - b'A') + 10
        };
        rem = if val >= 10 {
            (rem * 100 + val) % 97
        } else {
            (rem * 10 + val) % 97
        };
    }
    rem == 1
}

pub fn is_email(v: &str) -> bool {
    let v: std::borrow::Cow<'_, str> = if v.contains("%40") {
        v.replace("%40", "@").into()
    } else {
        v.into()
    };
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

pub fn is_jwt(v: &str) -> bool {
    let v = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .unwrap_or(v);
    let mut parts = v.split('.');
    let (Some(h), Some(p), Some(_s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let b64url = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    // `eyJ` is base64url for `{"`: the header and payload are JSON objects.
    h.starts_with("eyJ") && p.starts_with("eyJ") && b64url(h) && b64url(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards() {
        assert!(is_card_number("4111111111111111"));
        assert!(is_card_number("4111 1111 1111 1111"));
        assert!(is_card_number("5500-0000-0000-0004"));
        assert!(!is_card_number("4111111111111112")); // Luhn fails
        assert!(!is_card_number("1234567890123")); // no issuer prefix 1
        assert!(!is_card_number("41111"));
    }

    #[test]
    fn ibans() {
        assert!(is_iban("GB82WEST12345698765432"));
        assert!(is_iban("DE89 3704 0044 0532 0130 00"));
        assert!(!is_iban("GB82WEST12345698765433"));
        assert!(!is_iban("hello world"));
    }

    #[test]
    fn emails_and_jwts() {
        assert!(is_email("alice@example.com"));
        assert!(is_email("alice%40example.com"));
        assert!(!is_email("alice@localhost"));
        assert!(!is_email("@example.com"));
        assert!(is_jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc_-DEF"));
        assert!(!is_jwt("a.b.c"));
    }

    #[test]
    fn values_with_spaces_and_prefixes() {
        use SensitiveKind::*;
        let cases = [
            ("  4111111111111111  ", Some(CardNumber)),
            ("\u{a0}4111111111111111", Some(CardNumber)),
            ("DE89370400440532013000 ", Some(Iban)),
            (" alice@example.com ", Some(Email)),
            (
                "bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc",
                Some(Jwt),
            ),
            ("ABCDEFGHIJKLMNOPQRS", None),
            ("20260302", None),
            ("transactions", None),
        ];
        for (v, want) in cases {
            assert_eq!(classify_value(v), want, "{v:?}");
        }
        let mut seen = vec![];
        scan_text(
            "{\"iban\":\"GB82WEST12345698765432\",\"note\":\"hi\"}",
            |k| seen.push(k),
        );
        assert_eq!(seen, [Iban]);
    }

    #[test]
    fn params() {
        assert_eq!(
            classify_param("password", "hunter2"),
            Some(SensitiveKind::Password)
        );
        assert_eq!(classify_param("api_key", "k"), Some(SensitiveKind::ApiKey));
        assert_eq!(
            classify_param("card", "4111111111111111"),
            Some(SensitiveKind::CardNumber)
        );
        assert_eq!(classify_param("limit", "10"), None);
        let mut seen = vec![];
        scan_text("/v1/users/alice@example.com/cards/4111111111111111", |k| {
            seen.push(k)
        });
        assert_eq!(seen, [SensitiveKind::Email, SensitiveKind::CardNumber]);
    }
}
