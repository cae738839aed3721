//! Compact JWS (RFC 7515 §7.1): split, decode, pick the key, check the
//! signature. Everything a token says about itself is distrusted until the
//! signature verifies; the only header members used before that are `alg`,
//! `kid`, `crit` and `typ`. Header keys (`jwk`, `jku`, `x5u`, `x5c`) are never
//! used to find a key: the key comes from the configured JWKS only (RFC 8725
//! §3.10, Wycheproof `rejectsAttackerProvidedEmbeddedJwk`).

use ring::{hmac, signature};
use serde_json::Value;

use crate::alg::{Alg, AlgSet, KeyFamily, truncate};
use crate::b64;
use crate::error::JwtError;
use crate::json::depth_within;
use crate::jwk::{Jwk, Jwks, KeyMaterial, Lookup};

/// Upper bound on a token's length: bearer tokens travel in a header, and a
/// 16 KiB limit is above any real access token while keeping the work per
/// request small.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Nesting limit for the header and claims JSON.
pub const MAX_JSON_DEPTH: usize = 16;

/// A JWS whose signature verified with a key from the set.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    pub alg: Alg,
    pub kid: Option<String>,
    pub header: serde_json::Map<String, Value>,
    pub payload: Vec<u8>,
}

/// Checks the signature of a compact JWS. `allowed` is the explicit list of
/// algorithms; mixing HS and asymmetric ones is refused by
/// [`crate::Policy`], not here, so the conformance suites can exercise the
/// key-type check on its own.
pub fn verify_compact(token: &str, jwks: &Jwks, allowed: AlgSet) -> Result<VerifiedJws, JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLarge {
            max: MAX_TOKEN_BYTES,
        });
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("not three dot-separated parts"));
    };
    let header_bytes = b64::decode(h64).ok_or(JwtError::Malformed("header base64url"))?;
    let header = parse_object(&header_bytes, "header")?;

    let alg = match header.get("alg") {
        Some(Value::String(a)) => Alg::parse(a)?,
        Some(_) => return Err(JwtError::Malformed("alg not a string")),
        None => return Err(JwtError::Malformed("no alg")),
    };
    if !allowed.contains(alg) {
        return Err(JwtError::AlgNotAllowed(alg.name()));
    }
    // We implement no JWS extension, so any critical one is unknown
    // (RFC 7515 §4.1.11); an empty list is itself invalid.
    if header.contains_key("crit") {
        return Err(JwtError::UnsupportedCrit);
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => return Err(JwtError::Malformed("kid not a string")),
    };

    let key = match jwks.find(kid, alg.family()) {
        Lookup::Found(k) => k,
        Lookup::WrongFamily => {
            return Err(JwtError::KeyAlgMismatch {
                kid: kid.map(truncate),
                alg: alg.name(),
            });
        }
        Lookup::NotFound => return Err(JwtError::KeyNotFound(kid.map(truncate))),
    };
    check_key_for(key, alg)?;

    let payload = b64::decode(p64).ok_or(JwtError::Malformed("payload base64url"))?;
    let sig = b64::decode(s64).ok_or(JwtError::Malformed("signature base64url"))?;
    // The signing input is the encoded header and payload as received.
    let signing_input = &token.as_bytes()[..h64.len() + 1 + p64.len()];
    verify_signature(alg, &key.material, signing_input, &sig)?;

    Ok(VerifiedJws {
        alg,
        kid: kid.map(str::to_owned),
        header,
        payload,
    })
}

pub(crate) fn parse_object(
    bytes: &[u8],
    what: &'static str,
) -> Result<serde_json::Map<String, Value>, JwtError> {
    if !depth_within(bytes, MAX_JSON_DEPTH) {
        return Err(JwtError::Malformed("JSON nested too deep"));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JwtError::Malformed(match what {
            "header" => "header not a JSON object",
            _ => "claims not a JSON object",
        })),
        Err(_) => Err(JwtError::Malformed(match what {
            "header" => "header JSON",
            _ => "claims JSON",
        })),
    }
}

/// The algorithm-confusion defence: the key's type, curve and own `alg` must
/// all agree with the token's `alg` before its bytes touch a primitive.
fn check_key_for(key: &Jwk, alg: Alg) -> Result<(), JwtError> {
    if key.material.family() != alg.family() || key.alg.is_some_and(|a| a != alg) {
        return Err(JwtError::KeyAlgMismatch {
            kid: key.kid.as_deref().map(truncate),
            alg: alg.name(),
        });
    }
    if !key.for_signature {
        return Err(JwtError::KeyNotForSignature(
            key.kid.as_deref().map(truncate),
        ));
    }
    if let KeyMaterial::Oct(k) = &key.material {
        let min = match alg {
            Alg::HS256 => 32,
            Alg::HS384 => 48,
            _ => 64,
        };
        if k.len() < min {
            return Err(JwtError::KeyTooWeak(key.kid.as_deref().map(truncate)));
        }
    }
    Ok(())
}

fn verify_signature(alg: Alg, key: &KeyMaterial, msg: &[u8], sig: &[u8]) -> Result<(), JwtError> {
    let ok = match (alg.family(), key) {
        (KeyFamily::Oct, KeyMaterial::Oct(k)) => {
            let a = match alg {
                Alg::HS256 => hmac::HMAC_SHA256,
                Alg::HS384 => hmac::HMAC_SHA384,
                _ => hmac::HMAC_SHA512,
            };
            // Constant-time tag comparison inside ring.
            hmac::verify(&hmac::Key::new(a, k), msg, sig).is_ok()
        }
        (KeyFamily::Rsa, KeyMaterial::Rsa { n, e }) => {
            let params: &signature::RsaParameters = match alg {
                Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .is_ok()
        }
        (KeyFamily::EcP256, KeyMaterial::EcP256(point)) => {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(msg, sig)
                .is_ok()
        }
        (KeyFamily::EcP384, KeyMaterial::EcP384(point)) => {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                .verify(msg, sig)
                .is_ok()
        }
        (KeyFamily::Ed25519, KeyMaterial::Ed25519(x)) => {
            signature::UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(msg, sig)
                .is_ok()
        }
        // Unreachable after check_key_for, but a mismatch must never verify.
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(JwtError::BadSignature)
    }
}
