//! The sensitive kinds an endpoint carries, kept as a byte-sized set; the
//! recognisers themselves are core's (`linkwell_core::sensitive`).

use linkwell_core::sensitive::SensitiveKind;

/// One bit per [`SensitiveKind`], so an endpoint's kinds fit in a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct KindSet(u8);

const ALL_KINDS: [SensitiveKind; 8] = [
    SensitiveKind::CardNumber,
    SensitiveKind::Iban,
    SensitiveKind::Email,
    SensitiveKind::Jwt,
    SensitiveKind::Password,
    SensitiveKind::ApiKey,
    SensitiveKind::Ssn,
    SensitiveKind::Phone,
];

fn bit(k: SensitiveKind) -> u8 {
    match k {
        SensitiveKind::CardNumber => 1,
        SensitiveKind::Iban => 2,
        SensitiveKind::Email => 4,
        SensitiveKind::Jwt => 8,
        SensitiveKind::Password => 16,
        SensitiveKind::ApiKey => 32,
        SensitiveKind::Ssn => 64,
        SensitiveKind::Phone => 128,
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

/// Adds the sensitive kinds found in `text` (split and classified by core).
pub(crate) fn scan_text(text: &str, found: &mut KindSet) {
    linkwell_core::sensitive::scan_text(text, |k| found.insert(k));
}
