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
    /// A US Social Security number in its written `AAA-GG-SSSS` form (or
    /// nine digits under a parameter named for it), with the SSA's
    /// never-issued areas, groups and serials ruled out.
    Ssn,
    /// A telephone number in international form (`+` and 8–15 digits), or a
    /// national number under a parameter named for it.
    Phone,
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
            SensitiveKind::Ssn => "ssn",
            SensitiveKind::Phone => "phone",
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
    // Names that make a bare number mean something it could not on its own:
    // nine digits are an SSN only under one of these, seven to fifteen
    // digits a phone number only under one of those.
    const SSN_NAMES: &[&str] = &["ssn", "social_security_number", "socialsecuritynumber"];
    const PHONE_NAMES: &[&str] = &[
        "phone",
        "phone_number",
        "phonenumber",
        "mobile",
        "mobile_number",
        "msisdn",
        "tel",
        "telephone",
    ];
    let n = name.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if SECRET_NAMES.iter().any(|s| n.eq_ignore_ascii_case(s)) {
        return (!value.is_empty()).then_some(SensitiveKind::Password);
    }
    if KEY_NAMES.iter().any(|s| n.eq_ignore_ascii_case(s)) {
        return (!value.is_empty()).then_some(SensitiveKind::ApiKey);
    }
    if SSN_NAMES.iter().any(|s| n.eq_ignore_ascii_case(s)) && is_ssn_digits(value.trim()) {
        return Some(SensitiveKind::Ssn);
    }
    if PHONE_NAMES.iter().any(|s| n.eq_ignore_ascii_case(s)) && is_national_phone(value.trim()) {
        return Some(SensitiveKind::Phone);
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
        // Only the written form: bare nine-digit numbers are mostly ids.
        if b.len() == 11 && b[3] == b'-' && b[6] == b'-' && is_ssn(t) {
            return Some(SensitiveKind::Ssn);
        }
    } else if b[0] == b'+' {
        if is_phone(t) {
            return Some(SensitiveKind::Phone);
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
    (13..=19).contains(&digits) && sum.is_multiple_of(10) && issuer_length_ok(bytes, digits)
}

/// Whether the first digits name a card scheme that issues numbers of this
/// length (Visa 4: 13/16/19; Mastercard 51–55 and 2221–2720: 16; Amex
/// 34/37: 15; Diners 30/36/38: 14–16; JCB 35, Discover 6011/64/65 and
/// UnionPay 62: 16–19). Random 13–19 digit ids pass Luhn one time in ten;
/// this rules out most of the rest.
fn issuer_length_ok(bytes: &[u8], digits: u32) -> bool {
    let mut head = 0u32;
    let mut n = 0;
    for &b in bytes {
        if b.is_ascii_digit() {
            head = head * 10 + u32::from(b - b'0');
            n += 1;
            if n == 4 {
                break;
            }
        }
    }
    let (d1, d2) = (head / 1000, head / 100);
    match d1 {
        4 => matches!(digits, 13 | 16 | 19),
        5 => (51..=55).contains(&d2) && digits == 16,
        2 => (2221..=2720).contains(&head) && digits == 16,
        3 => match d2 {
            34 | 37 => digits == 15,
            30 | 36 | 38 => (14..=16).contains(&digits),
            35 => (16..=19).contains(&digits),
            _ => false,
        },
        6 => (head == 6011 || matches!(d2, 62 | 64 | 65)) && (16..=19).contains(&digits),
        _ => false,
    }
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

/// A US Social Security number written `AAA-GG-SSSS`: area not 000, 666 or
/// 900–999, group not 00, serial not 0000 (the SSA never issues those), and
/// not one of the famous advertising numbers.
pub fn is_ssn(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 11 || b[3] != b'-' || b[6] != b'-' {
        return false;
    }
    let mut digits = [0u8; 9];
    let mut k = 0;
    for (i, &c) in b.iter().enumerate() {
        if i == 3 || i == 6 {
            continue;
        }
        if !c.is_ascii_digit() {
            return false;
        }
        digits[k] = c;
        k += 1;
    }
    ssn_valid(&digits)
}

/// Nine digits (or the written form) under a parameter named for an SSN.
fn is_ssn_digits(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() == 9 && b.iter().all(u8::is_ascii_digit) {
        let mut d = [0u8; 9];
        d.copy_from_slice(b);
        return ssn_valid(&d);
    }
    is_ssn(v)
}

fn ssn_valid(d: &[u8; 9]) -> bool {
    let num = |s: &[u8]| s.iter().fold(0u32, |a, c| a * 10 + u32::from(c - b'0'));
    let (area, group, serial) = (num(&d[..3]), num(&d[3..5]), num(&d[5..]));
    // 078-05-1120 (a wallet insert) and 219-09-9999 (an SSA leaflet) were
    // printed as examples and are rejected by the SSA.
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !(area == 78 && group == 5 && serial == 1120)
        && !(area == 219 && group == 9 && serial == 9999)
}

/// A number in international (E.164) form: `+`, a first digit 1–9, then
/// 8–15 digits in all, with single spaces, dots, dashes or parentheses
/// between groups.
pub fn is_phone(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('+') else {
        return false;
    };
    if !rest
        .as_bytes()
        .first()
        .is_some_and(|c| (b'1'..=b'9').contains(c))
    {
        return false;
    }
    phone_digits(rest).is_some_and(|n| (8..=15).contains(&n))
}

/// A national number (7–15 digits, grouped or not) under a phone parameter;
/// an international one as well.
fn is_national_phone(v: &str) -> bool {
    if v.starts_with('+') {
        return is_phone(v);
    }
    v.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && phone_digits(v).is_some_and(|n| (7..=15).contains(&n))
}

/// The number of digits when `v` is digit groups separated by one space,
/// dot or dash, optionally with parentheses (`(202) 555-0143`), else None.
fn phone_digits(v: &str) -> Option<usize> {
    let (mut digits, mut run, mut plain) = (0, 0, 0);
    for c in v.bytes() {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                run = 0;
                plain = 0;
            }
            b' ' | b'.' | b'-' => {
                plain += 1;
                run += 1;
            }
            b'(' | b')' => run += 1,
            _ => return None,
        }
        if plain > 1 || run > 2 {
            return None;
        }
    }
    let last = v.as_bytes().last().copied();
    (last.is_some_and(|c| c.is_ascii_digit())).then_some(digits)
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
        assert!(is_card_number("378282246310005")); // Amex, 15
        assert!(is_card_number("2223003122003222")); // Mastercard 2-series
        assert!(is_card_number("6011111111111117")); // Discover
        assert!(is_card_number("30569309025904")); // Diners, 14
        // Luhn-valid, but no scheme issues these.
        for luhn_valid in ["5900000000000000", "3782822463100003", "2000000000000006"] {
            let sum: u32 = luhn_valid
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let d = u32::from(b - b'0') * if i % 2 == 1 { 2 } else { 1 };
                    if d > 9 { d - 9 } else { d }
                })
                .sum();
            assert_eq!(sum % 10, 0, "{luhn_valid}");
        }
        assert!(!is_card_number("5900000000000000")); // 59 is not Mastercard
        assert!(!is_card_number("3782822463100003")); // Amex is 15 digits
        assert!(!is_card_number("2000000000000006")); // below the 2-series
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
    fn ssns() {
        assert!(is_ssn("123-45-6789"));
        assert!(is_ssn("772-10-4411"));
        for bad in [
            "000-12-3456", // area 000
            "666-12-3456", // area 666
            "912-12-3456", // area 9xx (ITINs, never SSNs)
            "123-00-4567", // group 00
            "123-45-0000", // serial 0000
            "078-05-1120", // the Woolworth wallet number
            "12-345-6789",
            "123456789",
            "123-45-678a",
        ] {
            assert!(!is_ssn(bad), "{bad}");
        }
        assert_eq!(classify_value("123-45-6789"), Some(SensitiveKind::Ssn));
        // Dates, times and amounts do not have the 3-2-4 shape.
        for v in ["2026-03-02", "12:30:45", "1234.56", "123-456-7890"] {
            assert_eq!(classify_value(v), None, "{v}");
        }
        assert_eq!(classify_param("ssn", "123456789"), Some(SensitiveKind::Ssn));
        assert_eq!(classify_param("order", "123456789"), None);
        assert_eq!(classify_param("ssn", "000000000"), None);
    }

    #[test]
    fn phones() {
        assert!(is_phone("+447700900123"));
        assert!(is_phone("+1-202-555-0143"));
        assert!(is_phone("+1 (202) 555-0143"));
        assert!(is_phone("+49.30.1234567"));
        assert!(!is_phone("+0123456789")); // no country code 0
        assert!(!is_phone("+1234567")); // too short
        assert!(!is_phone("+1234567890123456")); // too long
        assert!(!is_phone("+44--7700900123"));
        assert!(!is_phone("447700900123"));
        assert_eq!(classify_value("+447700900123"), Some(SensitiveKind::Phone));
        // Account numbers, amounts and order ids have no `+`.
        for v in ["40100013", "07700900123", "+12.50", "1772400000"] {
            assert_eq!(classify_value(v), None, "{v}");
        }
        assert_eq!(
            classify_param("phone", "07700 900123"),
            Some(SensitiveKind::Phone)
        );
        assert_eq!(
            classify_param("msisdn", "447700900123"),
            Some(SensitiveKind::Phone)
        );
        assert_eq!(classify_param("account", "07700900123"), None);
        assert_eq!(classify_param("phone", "n/a"), None);
        let mut seen = vec![];
        scan_text(
            "{\"name\":\"A\",\"mobile\":\"+447700900123\",\"ssn\":\"123-45-6789\"}",
            |k| seen.push(k),
        );
        assert_eq!(seen, [SensitiveKind::Phone, SensitiveKind::Ssn]);
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
