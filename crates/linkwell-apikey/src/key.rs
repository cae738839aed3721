//! Entries, checks and management.

use std::collections::BTreeMap;

use base64::Engine as _;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

const PREFIX: &str = "lwk_";
const ID_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;
const SALT_BYTES: usize = 16;
/// Longest presented key looked at; anything longer is malformed.
const MAX_PRESENTED: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("no key with id {0}")]
    NoSuchKey(String),
    #[error("key {0} is revoked")]
    Revoked(String),
    #[error("the system random source failed")]
    Random,
    #[error("{path}: {detail}")]
    File { path: String, detail: String },
    #[error("registry format version {0} is not supported (this build reads 1)")]
    Version(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum KeyStatus {
    Active,
    Revoked { at: i64, reason: String },
}

/// A secret's salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Hashed {
    salt: String,
    hmac: String,
}

/// The old secret of a rotated key, valid until `until` (seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Grace {
    hash: Hashed,
    until: i64,
}

/// One key as the registry keeps it: no secret, only its salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    pub id: String,
    pub owner: String,
    pub status: KeyStatus,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Route names the key may call; empty means every route.
    #[serde(default)]
    pub routes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_plan: Option<String>,
    /// Seconds since the epoch.
    pub created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated: Option<i64>,
    hash: Hashed,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grace: Option<Grace>,
}

/// The registry; the gateway holds an immutable snapshot and swaps it on
/// reload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    pub(crate) version: u32,
    pub(crate) keys: BTreeMap<String, KeyEntry>,
}

/// A key just issued or rotated: the only time the secret exists in clear.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: String,
    pub key: String,
}

/// The verdict on a presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    Valid {
        id: String,
        owner: String,
        scopes: Vec<String>,
        rate_plan: Option<String>,
    },
    Malformed,
    Unknown,
    Revoked,
    Expired,
    RouteNotAllowed,
}

impl KeyOutcome {
    pub fn allowed(&self) -> bool {
        matches!(self, KeyOutcome::Valid { .. })
    }

    /// Stable reason code for records.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            KeyOutcome::Valid { .. } => None,
            KeyOutcome::Malformed => Some("malformed"),
            KeyOutcome::Unknown => Some("unknown"),
            KeyOutcome::Revoked => Some("revoked"),
            KeyOutcome::Expired => Some("expired"),
            KeyOutcome::RouteNotAllowed => Some("route-not-allowed"),
        }
    }
}

fn random(n: usize) -> Result<Vec<u8>, RegistryError> {
    let mut b = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| RegistryError::Random)?;
    Ok(b)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hash(secret: &str) -> Result<Hashed, RegistryError> {
    let salt = random(SALT_BYTES)?;
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &salt), secret.as_bytes());
    Ok(Hashed {
        salt: hex(&salt),
        hmac: hex(tag.as_ref()),
    })
}

impl Hashed {
    /// Constant time in the secret (ring's HMAC verification).
    fn matches(&self, secret: &str) -> bool {
        match (unhex(&self.salt), unhex(&self.hmac)) {
            (Some(salt), Some(tag)) => hmac::verify(
                &hmac::Key::new(hmac::HMAC_SHA256, &salt),
                secret.as_bytes(),
                &tag,
            )
            .is_ok(),
            _ => false,
        }
    }
}

/// `lwk_<id>_<secret>` → (id, secret), or `None` when it cannot be one.
fn split(presented: &str) -> Option<(&str, &str)> {
    if presented.len() > MAX_PRESENTED {
        return None;
    }
    let rest = presented.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == ID_BYTES * 2 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() >= 32
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then_some((id, secret))
}

fn new_secret() -> Result<String, RegistryError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random(SECRET_BYTES)?))
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            version: 1,
            keys: BTreeMap::new(),
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &KeyEntry> {
        self.keys.values()
    }

    pub fn get(&self, id: &str) -> Option<&KeyEntry> {
        self.keys.get(id)
    }

    /// Checks a presented key for a call to `route` at `now` (seconds).
    pub fn check(&self, presented: &str, route: &str, now: i64) -> KeyOutcome {
        let Some((id, secret)) = split(presented) else {
            return KeyOutcome::Malformed;
        };
        let Some(e) = self.keys.get(id) else {
            return KeyOutcome::Unknown;
        };
        let current = e.hash.matches(secret);
        let old = !current
            && e.grace
                .as_ref()
                .is_some_and(|g| now < g.until && g.hash.matches(secret));
        if !current && !old {
            // A wrong secret for a real id answers like an unknown key.
            return KeyOutcome::Unknown;
        }
        if let KeyStatus::Revoked { .. } = e.status {
            return KeyOutcome::Revoked;
        }
        if e.expires.is_some_and(|x| now >= x) {
            return KeyOutcome::Expired;
        }
        if !e.routes.is_empty() && !e.routes.iter().any(|r| r == route) {
            return KeyOutcome::RouteNotAllowed;
        }
        KeyOutcome::Valid {
            id: e.id.clone(),
            owner: e.owner.clone(),
            scopes: e.scopes.clone(),
            rate_plan: e.rate_plan.clone(),
        }
    }

    /// Issues a new key; the returned secret is not kept anywhere.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        owner: &str,
        scopes: Vec<String>,
        routes: Vec<String>,
        rate_plan: Option<String>,
        expires: Option<i64>,
        now: i64,
    ) -> Result<Issued, RegistryError> {
        let id = loop {
            let id = hex(&random(ID_BYTES)?);
            if !self.keys.contains_key(&id) {
                break id;
            }
        };
        let secret = new_secret()?;
        self.keys.insert(
            id.clone(),
            KeyEntry {
                id: id.clone(),
                owner: owner.to_string(),
                status: KeyStatus::Active,
                scopes,
                routes,
                rate_plan,
                created: now,
                expires,
                rotated: None,
                hash: hash(&secret)?,
                grace: None,
            },
        );
        Ok(Issued {
            key: format!("{PREFIX}{id}_{secret}"),
            id,
        })
    }

    /// A new secret for `id`; the old one stays valid for `grace_secs`.
    pub fn rotate(&mut self, id: &str, grace_secs: i64, now: i64) -> Result<Issued, RegistryError> {
        let e = self
            .keys
            .get_mut(id)
            .ok_or_else(|| RegistryError::NoSuchKey(id.to_string()))?;
        if let KeyStatus::Revoked { .. } = e.status {
            return Err(RegistryError::Revoked(id.to_string()));
        }
        let secret = new_secret()?;
        let old = std::mem::replace(&mut e.hash, hash(&secret)?);
        e.grace = (grace_secs > 0).then(|| Grace {
            hash: old,
            until: now + grace_secs,
        });
        e.rotated = Some(now);
        Ok(Issued {
            id: id.to_string(),
            key: format!("{PREFIX}{id}_{secret}"),
        })
    }

    /// Revokes `id` at once (its grace secret too).
    pub fn revoke(&mut self, id: &str, reason: &str, now: i64) -> Result<(), RegistryError> {
        let e = self
            .keys
            .get_mut(id)
            .ok_or_else(|| RegistryError::NoSuchKey(id.to_string()))?;
        e.status = KeyStatus::Revoked {
            at: now,
            reason: reason.to_string(),
        };
        e.grace = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> (Registry, Issued) {
        let mut r = Registry::new();
        let k = r
            .add(
                "partner-a",
                vec!["accounts:read".into()],
                vec!["accounts".into()],
                None,
                Some(10_000),
                100,
            )
            .unwrap();
        (r, k)
    }

    #[test]
    fn an_issued_key_checks_and_the_registry_never_holds_its_secret() {
        let (r, k) = reg();
        assert!(k.key.starts_with("lwk_"));
        assert!(
            matches!(r.check(&k.key, "accounts", 200), KeyOutcome::Valid { ref owner, .. } if owner == "partner-a")
        );
        let stored = serde_json::to_string(&r).unwrap();
        let secret = &k.key[17..];
        assert!(!stored.contains(secret));
    }

    #[test]
    fn every_refusal_has_its_reason() {
        let (mut r, k) = reg();
        assert_eq!(
            r.check(&k.key, "payments", 200),
            KeyOutcome::RouteNotAllowed
        );
        assert_eq!(r.check(&k.key, "accounts", 10_000), KeyOutcome::Expired);
        let last = if k.key.ends_with('x') { 'y' } else { 'x' };
        let wrong = format!("{}{last}", &k.key[..k.key.len() - 1]);
        assert_eq!(r.check(&wrong, "accounts", 200), KeyOutcome::Unknown);
        let other_id = format!("lwk_000000000000_{}", &k.key[17..]);
        assert_eq!(r.check(&other_id, "accounts", 200), KeyOutcome::Unknown);
        for junk in [
            "",
            "lwk_",
            "Bearer x",
            "lwk_zz_yy",
            &"a".repeat(10_000),
            "lwk_0123456789ab_short",
            "lwk_0123456789ab_\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}",
        ] {
            assert_eq!(
                r.check(junk, "accounts", 200),
                KeyOutcome::Malformed,
                "{junk:?}"
            );
        }
        r.revoke(&k.id, "leaked in a public repo", 300).unwrap();
        assert_eq!(r.check(&k.key, "accounts", 301), KeyOutcome::Revoked);
        assert!(r.rotate(&k.id, 0, 302).is_err());
    }

    #[test]
    fn rotation_keeps_the_old_secret_for_the_grace_period_only() {
        let (mut r, old) = reg();
        let new = r.rotate(&old.id, 60, 1_000).unwrap();
        assert_eq!(new.id, old.id);
        assert_ne!(new.key, old.key);
        assert!(r.check(&new.key, "accounts", 1_001).allowed());
        assert!(r.check(&old.key, "accounts", 1_059).allowed());
        assert_eq!(r.check(&old.key, "accounts", 1_060), KeyOutcome::Unknown);
        let newer = r.rotate(&old.id, 0, 2_000).unwrap();
        assert_eq!(r.check(&new.key, "accounts", 2_001), KeyOutcome::Unknown);
        assert!(r.check(&newer.key, "accounts", 2_001).allowed());
    }
}
