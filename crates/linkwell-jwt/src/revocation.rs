//! Revocation: a deny list of `jti`s and a cache of RFC 7662 introspection
//! answers. Both are keyed by attacker-influenced values, so both are bounded;
//! time always comes from the caller.

use std::collections::{HashMap, HashSet};

use linkwell_core::Timestamp;
use ring::digest;

/// `jti`s that must be refused until the tokens expire.
#[derive(Debug, Clone)]
pub struct DenyList {
    ids: HashSet<String>,
    max: usize,
}

impl DenyList {
    pub fn new(max: usize) -> DenyList {
        DenyList {
            ids: HashSet::new(),
            max,
        }
    }

    /// False when the list is full: the operator must hear that a revocation
    /// was not recorded rather than have it silently dropped.
    pub fn insert(&mut self, jti: &str) -> bool {
        if self.ids.contains(jti) {
            return true;
        }
        if self.ids.len() >= self.max {
            return false;
        }
        self.ids.insert(jti.to_owned());
        true
    }

    pub fn remove(&mut self, jti: &str) -> bool {
        self.ids.remove(jti)
    }

    pub fn contains(&self, jti: &str) -> bool {
        self.ids.contains(jti)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The part of an RFC 7662 response the verifier acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Introspection {
    pub active: bool,
    /// The response's `exp`, when given: the cache never outlives it.
    pub exp: Option<Timestamp>,
}

/// Asks the authorization server about a token. The gateway implements this
/// (HTTPS, client authentication, timeouts); this crate does no I/O.
pub trait Introspect {
    fn introspect(&self, token: &str) -> Result<Introspection, String>;
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    active: bool,
    until: Timestamp,
}

/// Introspection answers by SHA-256 of the token (the token itself is a
/// credential and is not kept). At most `max` entries, each kept at most
/// `ttl` and never past the token's own expiry.
#[derive(Debug, Clone)]
pub struct IntrospectionCache {
    map: HashMap<[u8; 32], Entry>,
    max: usize,
    ttl_micros: i64,
}

impl IntrospectionCache {
    pub fn new(max: usize, ttl_secs: u32) -> IntrospectionCache {
        IntrospectionCache {
            map: HashMap::new(),
            max: max.max(1),
            ttl_micros: i64::from(ttl_secs) * Timestamp::MICROS_PER_SEC,
        }
    }

    pub(crate) fn key(token: &str) -> [u8; 32] {
        let d = digest::digest(&digest::SHA256, token.as_bytes());
        let mut k = [0u8; 32];
        k.copy_from_slice(d.as_ref());
        k
    }

    /// A fresh answer for this token, if any.
    pub fn get(&self, token: &str, now: Timestamp) -> Option<bool> {
        self.map
            .get(&Self::key(token))
            .filter(|e| now < e.until)
            .map(|e| e.active)
    }

    /// Records an answer. `token_exp` is the token's `exp`, which bounds how
    /// long an "active" answer may be reused.
    pub fn insert(
        &mut self,
        token: &str,
        answer: Introspection,
        token_exp: Option<Timestamp>,
        now: Timestamp,
    ) {
        let mut until = Timestamp(now.0.saturating_add(self.ttl_micros));
        for cap in [answer.exp, token_exp].into_iter().flatten() {
            until = until.min(cap);
        }
        if until <= now {
            return;
        }
        let key = Self::key(token);
        if !self.map.contains_key(&key) && self.map.len() >= self.max {
            self.map.retain(|_, e| now < e.until);
            if self.map.len() >= self.max {
                // Full of live entries: drop the one that would expire first.
                // O(n) but only on a full cache, and n is bounded.
                if let Some(k) = self
                    .map
                    .iter()
                    .min_by_key(|(_, e)| e.until)
                    .map(|(k, _)| *k)
                {
                    self.map.remove(&k);
                }
            }
        }
        self.map.insert(
            key,
            Entry {
                active: answer.active,
                until,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
