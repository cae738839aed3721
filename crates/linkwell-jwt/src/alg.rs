//! JWS algorithms this verifier can check.
//!
//! `none` has no variant on purpose (RFC 8725 §3.2): no configuration, key or
//! token can make an unsigned token acceptable, so there is nothing to get wrong.

use std::fmt;

use crate::error::JwtError;

/// A signature algorithm from RFC 7518 / RFC 8037 that the backend implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

/// Which kind of key an algorithm needs: the algorithm-confusion defence
/// compares this with the key's `kty` before any cryptography runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Oct,
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
}

impl Alg {
    pub const ALL: [Alg; 12] = [
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::EdDSA,
    ];

    /// Parses the `alg` header value. Exact, case-sensitive match (RFC 7515
    /// §4.1.1); any spelling of `none` is reported as [`JwtError::AlgNone`] so
    /// the attempt is visible in the reason, and names we do not implement
    /// (ES512, RSA1_5, ...) as [`JwtError::UnsupportedAlg`].
    pub fn parse(name: &str) -> Result<Alg, JwtError> {
        let alg = match name {
            "HS256" => Alg::HS256,
            "HS384" => Alg::HS384,
            "HS512" => Alg::HS512,
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "PS256" => Alg::PS256,
            "PS384" => Alg::PS384,
            "PS512" => Alg::PS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            "EdDSA" => Alg::EdDSA,
            n if n.eq_ignore_ascii_case("none") => return Err(JwtError::AlgNone),
            other => return Err(JwtError::UnsupportedAlg(truncate(other))),
        };
        Ok(alg)
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
        }
    }

    pub fn family(self) -> KeyFamily {
        match self {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => KeyFamily::Oct,
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                KeyFamily::Rsa
            }
            Alg::ES256 => KeyFamily::EcP256,
            Alg::ES384 => KeyFamily::EcP384,
            Alg::EdDSA => KeyFamily::Ed25519,
        }
    }

    pub fn is_symmetric(self) -> bool {
        self.family() == KeyFamily::Oct
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An explicit allow-list of algorithms. Empty by default: a policy that names
/// no algorithm accepts no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlgSet(u16);

impl AlgSet {
    pub const fn empty() -> Self {
        AlgSet(0)
    }

    pub fn of(algs: &[Alg]) -> Self {
        algs.iter().fold(AlgSet(0), |s, a| s.with(*a))
    }

    pub fn with(self, alg: Alg) -> Self {
        AlgSet(self.0 | alg.bit())
    }

    pub fn contains(self, alg: Alg) -> bool {
        self.0 & alg.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Alg> {
        Alg::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    pub fn has_symmetric(self) -> bool {
        self.iter().any(Alg::is_symmetric)
    }

    pub fn has_asymmetric(self) -> bool {
        self.iter().any(|a| !a.is_symmetric())
    }
}

/// Attacker-supplied strings end up in error messages and logs; cap them.
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
