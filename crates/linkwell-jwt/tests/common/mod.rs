//! Token and key builders shared by the tests and the bench. The RSA key in
//! `tests/keys/rsa2048.der` (PKCS#1 DER) was generated for this crate's tests only (ring
//! cannot generate RSA keys); the others are generated per run.

#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use linkwell_jwt::{Jwk, Jwks, b64url_encode};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{Value, json};

pub const RSA_DER: &[u8] = include_bytes!("../keys/rsa2048.der");
pub const HS_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-hs-test-secret-64-bytes-long!!!";

pub enum Signer {
    Rsa(RsaKeyPair),
    Es256(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Hs(Vec<u8>),
}

pub struct Keys {
    pub rsa: Signer,
    pub es: Signer,
    pub ed: Signer,
    pub hs: Signer,
    pub rng: SystemRandom,
}

impl Keys {
    pub fn new() -> Keys {
        let rng = SystemRandom::new();
        let rsa = RsaKeyPair::from_der(RSA_DER).unwrap();
        let es_pk8 =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .unwrap();
        let es = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            es_pk8.as_ref(),
            &rng,
        )
        .unwrap();
        let ed_pk8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let ed = Ed25519KeyPair::from_pkcs8(ed_pk8.as_ref()).unwrap();
        Keys {
            rsa: Signer::Rsa(rsa),
            es: Signer::Es256(es),
            ed: Signer::Ed(ed),
            hs: Signer::Hs(HS_SECRET.to_vec()),
            rng,
        }
    }

    /// Public JWKs (and the HS secret as an `oct` key) with kids rsa1, ec1,
    /// ed1, hs1.
    pub fn jwk_values(&self) -> Vec<Value> {
        vec![
            self.rsa.jwk("rsa1"),
            self.es.jwk("ec1"),
            self.ed.jwk("ed1"),
            self.hs.jwk("hs1"),
        ]
    }

    pub fn jwks_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({ "keys": self.jwk_values() })).unwrap()
    }

    pub fn jwks(&self) -> Jwks {
        Jwks::from_json(&self.jwks_bytes()).unwrap()
    }

    /// Only the asymmetric keys, as an issuer publishes them.
    pub fn public_jwks(&self) -> Jwks {
        let v = self.jwk_values();
        Jwks::from_keys(v[..3].iter().map(|k| Jwk::from_json_value(k).unwrap()))
    }

    pub fn sign(&self, signer: &Signer, alg: &str, header: Value, claims: &Value) -> String {
        let mut h = header;
        h["alg"] = json!(alg);
        let input = format!(
            "{}.{}",
            b64url_encode(&serde_json::to_vec(&h).unwrap()),
            b64url_encode(&serde_json::to_vec(claims).unwrap())
        );
        let sig = signer.sign_raw(alg, input.as_bytes(), &self.rng);
        format!("{input}.{}", b64url_encode(&sig))
    }
}

impl Signer {
    pub fn jwk(&self, kid: &str) -> Value {
        match self {
            Signer::Rsa(k) => {
                let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(k.public());
                json!({"kty":"RSA","kid":kid,"use":"sig","n":b64url_encode(&c.n),"e":b64url_encode(&c.e)})
            }
            Signer::Es256(k) => {
                let p = k.public_key().as_ref();
                json!({"kty":"EC","kid":kid,"crv":"P-256","x":b64url_encode(&p[1..33]),"y":b64url_encode(&p[33..65])})
            }
            Signer::Ed(k) => {
                json!({"kty":"OKP","kid":kid,"crv":"Ed25519","x":b64url_encode(k.public_key().as_ref())})
            }
            Signer::Hs(s) => json!({"kty":"oct","kid":kid,"k":b64url_encode(s)}),
        }
    }

    pub fn sign_raw(&self, alg: &str, msg: &[u8], rng: &SystemRandom) -> Vec<u8> {
        match self {
            Signer::Rsa(k) => {
                let enc: &'static dyn signature::RsaEncoding = match alg {
                    "RS256" => &signature::RSA_PKCS1_SHA256,
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(enc, rng, msg, &mut sig).unwrap();
                sig
            }
            Signer::Es256(k) => k.sign(rng, msg).unwrap().as_ref().to_vec(),
            Signer::Ed(k) => k.sign(msg).as_ref().to_vec(),
            Signer::Hs(s) => {
                let a = match alg {
                    "HS384" => ring::hmac::HMAC_SHA384,
                    "HS512" => ring::hmac::HMAC_SHA512,
                    _ => ring::hmac::HMAC_SHA256,
                };
                ring::hmac::sign(&ring::hmac::Key::new(a, s), msg)
                    .as_ref()
                    .to_vec()
            }
        }
    }
}

pub const NOW: i64 = 1_780_000_000;

/// Claims that pass [`policy`] at [`NOW`].
pub fn good_claims() -> Value {
    json!({
        "iss": "https://idp.bank.example",
        "sub": "user-42",
        "aud": ["accounts-api", "other"],
        "exp": NOW + 600,
        "nbf": NOW - 60,
        "iat": NOW - 60,
        "jti": "tok-1",
        "scope": "accounts:read accounts:write",
    })
}

/// A file under `../shared/data/` (relative to the repo root), or `None` with
/// a printed reason when absent. Under `CI=true` absence fails the test.
pub fn shared_data(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and test data missing: {}", p.display());
    }
    eprintln!("SKIP: test data not found at {}", p.display());
    None
}
