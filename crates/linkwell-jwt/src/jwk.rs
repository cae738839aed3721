//! JSON Web Key Sets (RFC 7517) parsed from bytes into verification keys.
//!
//! Keys are shape-checked when the set is loaded, not when a token arrives: a
//! short modulus, a coordinate of the wrong size or an unknown curve is dropped
//! here (and listed in [`Jwks::skipped`]) so a broken key is visible before
//! traffic. Curve membership of EC points is checked by ring when a signature
//! is verified (an off-curve point fails every signature). Private members
//! (`d`, `p`, ...) are never read.

use linkwell_core::Timestamp;
use serde_json::{Map, Value};

use crate::alg::{Alg, KeyFamily, truncate};
use crate::b64;
use crate::error::JwksError;
use crate::json::depth_within;

pub const MAX_JWKS_BYTES: usize = 256 * 1024;
pub const MAX_KEYS: usize = 64;
const MAX_JWKS_DEPTH: usize = 8;

/// Public key material, one variant per `kty`/`crv` we can verify with.
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    /// Big-endian modulus and exponent, leading zeros stripped.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// Uncompressed SEC1 point `04 || x || y`.
    EcP256(Vec<u8>),
    EcP384(Vec<u8>),
    Ed25519(Vec<u8>),
    /// Shared secret for HS*. Kept only in memory; never printed.
    Oct(Vec<u8>),
}

impl KeyMaterial {
    pub(crate) fn family(&self) -> KeyFamily {
        match self {
            KeyMaterial::Rsa { .. } => KeyFamily::Rsa,
            KeyMaterial::EcP256(_) => KeyFamily::EcP256,
            KeyMaterial::EcP384(_) => KeyFamily::EcP384,
            KeyMaterial::Ed25519(_) => KeyFamily::Ed25519,
            KeyMaterial::Oct(_) => KeyFamily::Oct,
        }
    }
}

/// One key of the set.
#[derive(Clone)]
pub struct Jwk {
    pub(crate) kid: Option<String>,
    /// The key's own `alg`, when it states one: then it is the only algorithm
    /// the key may be used with (RFC 8725 §3.1).
    pub(crate) alg: Option<Alg>,
    /// False for `use: enc` or `key_ops` without `verify`.
    pub(crate) for_signature: bool,
    pub(crate) material: KeyMaterial,
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("family", &self.material.family())
            .field("for_signature", &self.for_signature)
            .finish_non_exhaustive()
    }
}

impl Jwk {
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn family(&self) -> KeyFamily {
        self.material.family()
    }

    /// Parses one JWK object. `Err` carries why the key cannot be used.
    pub fn from_json_value(v: &Value) -> Result<Jwk, SkipReason> {
        let obj = v.as_object().ok_or(SkipReason::NotAnObject)?;
        let kid = match obj.get("kid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(SkipReason::BadMember("kid")),
        };
        let alg = match obj.get("alg") {
            None => None,
            Some(Value::String(s)) => {
                Some(Alg::parse(s).map_err(|_| SkipReason::UnsupportedAlg(truncate(s)))?)
            }
            Some(_) => return Err(SkipReason::BadMember("alg")),
        };
        let for_signature = usable_for_verify(obj)?;
        let kty = str_member(obj, "kty")?;
        let material = match kty {
            "RSA" => {
                let n = strip_zeros(b64_member(obj, "n")?);
                let e = strip_zeros(b64_member(obj, "e")?);
                // ring enforces 2048..=8192 bits at verify time; refuse
                // obviously unusable keys now so the set says so.
                if n.len() < 256 || n.len() > 1024 || e.is_empty() || e.len() > 4 {
                    return Err(SkipReason::WeakOrBadRsa);
                }
                KeyMaterial::Rsa { n, e }
            }
            "EC" => {
                let crv = str_member(obj, "crv")?;
                let len = match crv {
                    "P-256" => 32,
                    "P-384" => 48,
                    other => return Err(SkipReason::UnsupportedCurve(truncate(other))),
                };
                let x = b64_member(obj, "x")?;
                let y = b64_member(obj, "y")?;
                // RFC 7518 §6.2.1.2: coordinates are exactly the field size.
                if x.len() != len || y.len() != len {
                    return Err(SkipReason::BadMember("x/y"));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                if len == 32 {
                    KeyMaterial::EcP256(point)
                } else {
                    KeyMaterial::EcP384(point)
                }
            }
            "OKP" => {
                let crv = str_member(obj, "crv")?;
                if crv != "Ed25519" {
                    return Err(SkipReason::UnsupportedCurve(truncate(crv)));
                }
                let x = b64_member(obj, "x")?;
                if x.len() != 32 {
                    return Err(SkipReason::BadMember("x"));
                }
                KeyMaterial::Ed25519(x)
            }
            "oct" => {
                let k = b64_member(obj, "k")?;
                if k.is_empty() {
                    return Err(SkipReason::BadMember("k"));
                }
                KeyMaterial::Oct(k)
            }
            other => return Err(SkipReason::UnsupportedKty(truncate(other))),
        };
        if let Some(a) = alg
            && a.family() != material.family()
        {
            return Err(SkipReason::AlgDoesNotMatchKty);
        }
        Ok(Jwk {
            kid,
            alg,
            for_signature,
            material,
        })
    }
}

/// Why a key of the set was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    NotAnObject,
    MissingMember(&'static str),
    BadMember(&'static str),
    UnsupportedKty(String),
    UnsupportedCurve(String),
    UnsupportedAlg(String),
    WeakOrBadRsa,
    AlgDoesNotMatchKty,
}

/// A verified-to-be-well-formed key set.
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    keys: Vec<Jwk>,
    skipped: Vec<(Option<String>, SkipReason)>,
}

impl Jwks {
    /// Parses `{"keys":[...]}`. Unusable keys are skipped, not fatal: one
    /// P-521 key in an issuer's set must not take down the RSA keys beside it.
    pub fn from_json(bytes: &[u8]) -> Result<Jwks, JwksError> {
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge {
                max: MAX_JWKS_BYTES,
            });
        }
        if !depth_within(bytes, MAX_JWKS_DEPTH) {
            return Err(JwksError::TooDeep);
        }
        let v: Value = serde_json::from_slice(bytes).map_err(|e| JwksError::Json(e.to_string()))?;
        let keys = v
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::NoKeys)?;
        if keys.len() > MAX_KEYS {
            return Err(JwksError::TooManyKeys { max: MAX_KEYS });
        }
        let mut set = Jwks::default();
        for k in keys {
            set.push_value(k);
        }
        Ok(set)
    }

    /// A set built from single JWK objects (tests, static config).
    pub fn from_keys(keys: impl IntoIterator<Item = Jwk>) -> Jwks {
        Jwks {
            keys: keys.into_iter().take(MAX_KEYS).collect(),
            skipped: Vec::new(),
        }
    }

    fn push_value(&mut self, k: &Value) {
        match Jwk::from_json_value(k) {
            Ok(jwk) => self.keys.push(jwk),
            Err(reason) => {
                let kid = k.get("kid").and_then(Value::as_str).map(truncate);
                self.skipped.push((kid, reason));
            }
        }
    }

    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    pub fn skipped(&self) -> &[(Option<String>, SkipReason)] {
        &self.skipped
    }

    /// The key for a token: by `kid` when the token names one (RFC 7515
    /// §4.1.4), else the single key of the algorithm's family. Two keys with
    /// the same `kid` are disambiguated by family, so an issuer's RSA and EC
    /// keys may share a kid without an HS token picking either.
    pub(crate) fn find(&self, kid: Option<&str>, family: KeyFamily) -> Lookup<'_> {
        let mut same_kid = self.keys.iter().filter(|k| match kid {
            Some(id) => k.kid.as_deref() == Some(id),
            None => true,
        });
        let mut first_any = None;
        let mut matching = None;
        let mut ambiguous = false;
        for k in same_kid.by_ref() {
            first_any.get_or_insert(k);
            if k.material.family() == family {
                if matching.is_some() {
                    ambiguous = true;
                } else {
                    matching = Some(k);
                }
            }
        }
        match (matching, first_any) {
            (Some(_), _) if ambiguous && kid.is_none() => Lookup::NotFound,
            (Some(k), _) => Lookup::Found(k),
            (None, Some(_)) if kid.is_some() => Lookup::WrongFamily,
            _ => Lookup::NotFound,
        }
    }
}

/// When to refetch the JWKS after [`crate::JwtError::KeyNotFound`]. Unknown
/// `kid`s are attacker-chosen, so refetching on each would let anyone make the
/// gateway hammer the issuer; one gate per issuer allows one fetch per
/// interval whatever the kids. Time comes from the caller.
#[derive(Debug, Clone)]
pub struct RefetchGate {
    min_interval_micros: i64,
    last: Option<Timestamp>,
}

impl RefetchGate {
    pub fn new(min_interval_secs: u32) -> RefetchGate {
        RefetchGate {
            min_interval_micros: i64::from(min_interval_secs) * Timestamp::MICROS_PER_SEC,
            last: None,
        }
    }

    /// True when a refetch may start now (and records it).
    pub fn try_acquire(&mut self, now: Timestamp) -> bool {
        if let Some(last) = self.last
            && now.0 < last.0.saturating_add(self.min_interval_micros)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

pub(crate) enum Lookup<'a> {
    Found(&'a Jwk),
    WrongFamily,
    NotFound,
}

fn usable_for_verify(obj: &Map<String, Value>) -> Result<bool, SkipReason> {
    let use_ok = match obj.get("use") {
        None => true,
        Some(Value::String(u)) => u == "sig",
        Some(_) => return Err(SkipReason::BadMember("use")),
    };
    let ops_ok = match obj.get("key_ops") {
        None => true,
        Some(Value::Array(ops)) => ops.iter().any(|o| o.as_str() == Some("verify")),
        Some(_) => return Err(SkipReason::BadMember("key_ops")),
    };
    Ok(use_ok && ops_ok)
}

fn str_member<'a>(obj: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, SkipReason> {
    match obj.get(name) {
        None => Err(SkipReason::MissingMember(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(SkipReason::BadMember(name)),
    }
}

fn b64_member(obj: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, SkipReason> {
    b64::decode(str_member(obj, name)?).ok_or(SkipReason::BadMember(name))
}

fn strip_zeros(mut v: Vec<u8>) -> Vec<u8> {
    let lead = v.iter().take_while(|b| **b == 0).count();
    v.drain(..lead);
    v
}
