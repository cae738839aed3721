//! What one route demands of a token. Built once from configuration and
//! validated then, so that a policy that could accept forged or foreign
//! tokens (no algorithms, HS mixed with RS, no audience, huge leeway) cannot
//! exist at request time.

use crate::alg::AlgSet;
use crate::error::PolicyError;

/// Clock-skew tolerance is for skew, not for extending token lifetime.
pub const MAX_LEEWAY_SECS: u32 = 300;

#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) algs: AlgSet,
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway_secs: i64,
    pub(crate) require_exp: bool,
    pub(crate) typ: Option<String>,
    /// `(method, scopes)`; method `None` applies to methods without a rule.
    pub(crate) scopes: Vec<(Option<String>, Vec<String>)>,
    pub(crate) require_cnf: bool,
    pub(crate) require_jti: bool,
    pub(crate) require_introspection: bool,
}

impl Policy {
    /// The mandatory part: algorithms, accepted issuers and audiences
    /// (RFC 8725 §3.1, §3.8, §3.9). `exp` is required and leeway is 60 s until
    /// changed.
    pub fn new(algs: AlgSet, issuers: &[&str], audiences: &[&str]) -> Result<Policy, PolicyError> {
        if algs.is_empty() {
            return Err(PolicyError::NoAlgorithms);
        }
        if algs.has_symmetric() && algs.has_asymmetric() {
            return Err(PolicyError::MixedSymmetricAsymmetric);
        }
        if issuers.is_empty() {
            return Err(PolicyError::NoIssuer);
        }
        if audiences.is_empty() {
            return Err(PolicyError::NoAudience);
        }
        Ok(Policy {
            algs,
            issuers: issuers.iter().map(|s| (*s).to_owned()).collect(),
            audiences: audiences.iter().map(|s| (*s).to_owned()).collect(),
            leeway_secs: 60,
            require_exp: true,
            typ: None,
            scopes: Vec::new(),
            require_cnf: false,
            require_jti: false,
            require_introspection: false,
        })
    }

    pub fn with_leeway(mut self, secs: u32) -> Result<Policy, PolicyError> {
        if secs > MAX_LEEWAY_SECS {
            return Err(PolicyError::LeewayTooLarge(secs));
        }
        self.leeway_secs = i64::from(secs);
        Ok(self)
    }

    /// Scopes every token must carry for `method` (`"*"` for methods without
    /// their own rule). Method names compare case-insensitively.
    pub fn require_scopes(mut self, method: &str, scopes: &[&str]) -> Policy {
        let m = (method != "*").then(|| method.to_ascii_uppercase());
        let list = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.scopes.retain(|(k, _)| *k != m);
        self.scopes.push((m, list));
        self
    }

    /// Explicit typing (RFC 8725 §3.11), e.g. `at+jwt` for RFC 9068 access
    /// tokens, so an ID token or another JWT kind cannot be replayed here.
    pub fn require_typ(mut self, typ: &str) -> Policy {
        self.typ = Some(typ.to_owned());
        self
    }

    /// RFC 8705 certificate-bound tokens only.
    pub fn require_cnf(mut self) -> Policy {
        self.require_cnf = true;
        self
    }

    /// Tokens without `jti` could never be put on the deny list.
    pub fn require_jti(mut self) -> Policy {
        self.require_jti = true;
        self
    }

    /// Every token must have a fresh RFC 7662 introspection result.
    pub fn require_introspection(mut self) -> Policy {
        self.require_introspection = true;
        self
    }

    /// Accept tokens without `exp` (some internal issuers); off by default.
    pub fn allow_missing_exp(mut self) -> Policy {
        self.require_exp = false;
        self
    }

    pub fn algs(&self) -> AlgSet {
        self.algs
    }

    pub(crate) fn scopes_for(&self, method: &str) -> &[String] {
        let exact = self
            .scopes
            .iter()
            .find(|(m, _)| m.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(method)));
        let any = || self.scopes.iter().find(|(m, _)| m.is_none());
        exact.or_else(any).map(|(_, s)| s.as_slice()).unwrap_or(&[])
    }
}
