//! Sensitive-data checks cheap enough for every call.
//!
//! `linkwell_core::sensitive::classify_value` allocates (its IBAN and e-mail
//! checks build temporary strings) for almost every token of five or more
//! characters, which would put several allocations on the hot path of every
//! call. These wrappers run the same validating predicates from core, in the
//! same order, but only after a byte-level test that the predicate could
//! possibly succeed; the agreement is checked by a test against core.

use linkwell_core::sensitive::{SensitiveKind, is_card_number, is_email, is_iban, is_jwt};

/// One bit per [`SensitiveKind`], so an endpoint's kinds fit in a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct KindSet(u8);

const ALL_KINDS: [SensitiveKind; 6] = [
    SensitiveKind::CardNumber,
    SensitiveKind::Iban,
    SensitiveKind::Email,
    SensitiveKind::Jwt,
    SensitiveKind::Password,
    SensitiveKind::ApiKey,
];

fn bit(k: SensitiveKind) -> u8 {
    match k {
        SensitiveKind::CardNumber => 1,
        SensitiveKind::Iban => 2,
        SensitiveKind::Email => 4,
        SensitiveKind::Jwt => 8,
        SensitiveKind::Password => 16,
        SensitiveKind::ApiKey => 32,
    }
}

impl KindSet {
    pub(crate) fn insert(&mut self, k: SensitiveKind) {
        self.0 |= bit(k);
    }

    pub(crate) fn union(self, other: KindSet) -> KindSet {
        KindSet(self.0 | other.0)
    }

    pub(crate) fn to_vec(self) -> Vec<SensitiveKind> {
        let mut v: Vec<_> = ALL_KINDS
            .into_iter()
            .filter(|k| self.0 & bit(*k) != 0)
            .collect();
        v.sort();
        v
    }
}

/// Same answer as `linkwell_core::sensitive::classify_value`, without
/// allocating, and rejecting most values after looking at one byte.
pub(crate) fn classify_value(v: &str) -> Option<SensitiveKind> {
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

/// The separators of `linkwell_core::sensitive::scan_text`, as a table.
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

/// Splits like `linkwell_core::sensitive::scan_text` and classifies each
/// token with [`classify_value`].
pub(crate) fn scan_text(text: &str, found: &mut KindSet) {
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
            found.insert(k);
        }
        start = i + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linkwell_core::sensitive as core;

    #[test]
    fn agrees_with_core() {
        let corpus = [
            "4111111111111111",
            "4111 1111 1111 1111",
            "5500-0000-0000-0004",
            "4111111111111112",
            "GB82WEST12345698765432",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765433",
            "alice@example.com",
            "alice%40example.com",
            "alice@localhost",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc_-DEF",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc",
            "transactions",
            "12345",
            "20260302",
            "  4111111111111111  ",
            "ab",
            "ABCDEFGHIJKLMNOPQRS",
            "hello world",
            " alice@example.com ",
            "\u{a0}4111111111111111",
            "bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc",
            "DE89370400440532013000 ",
        ];
        for v in corpus {
            assert_eq!(classify_value(v), core::classify_value(v), "{v}");
        }
        for text in [
            "/v1/users/alice@example.com/cards/4111111111111111",
            "{\"iban\":\"GB82WEST12345698765432\",\"note\":\"hi\"}",
        ] {
            let mut mine = KindSet::default();
            scan_text(text, &mut mine);
            let mut theirs = KindSet::default();
            core::scan_text(text, |k| theirs.insert(k));
            assert_eq!(mine, theirs, "{text}");
        }
    }
}
