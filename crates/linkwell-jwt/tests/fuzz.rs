//! Fuzz-style robustness: thousands of mutated and random tokens (fixed seed,
//! so failures reproduce). None may panic, and no mutation of a valid token
//! may verify: only the untouched token is accepted.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Keys, NOW, good_claims};
use linkwell_core::Timestamp;
use linkwell_jwt::{Alg, AlgSet, Jwks, JwtError, Policy, VerifyContext, b64url_encode, verify};
use serde_json::{Value, json};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ?\0\xff";

fn mutate(rng: &mut Rng, t: &str) -> Vec<u8> {
    let mut b = t.as_bytes().to_vec();
    for _ in 0..=rng.below(3) {
        if b.is_empty() {
            b.push(b'.');
        }
        let i = rng.below(b.len());
        match rng.below(6) {
            0 => b[i] = ALPHABET[rng.below(ALPHABET.len())],
            1 => b[i] ^= 1 << rng.below(8),
            2 => {
                b.remove(i);
            }
            3 => b.insert(i, ALPHABET[rng.below(ALPHABET.len())]),
            4 => b.truncate(i),
            _ => {
                let seg: Vec<u8> = b[i..].iter().take(rng.below(40)).copied().collect();
                b.extend_from_slice(&seg);
            }
        }
    }
    b
}

#[test]
fn mutated_tokens_never_verify_and_never_panic() {
    let k = Keys::new();
    let jwks = k.jwks();
    let asym = Policy::new(
        AlgSet::of(&[Alg::RS256, Alg::PS256, Alg::ES256, Alg::EdDSA]),
        &["https://idp.bank.example"],
        &["accounts-api"],
    )
    .unwrap();
    let hs = Policy::new(
        AlgSet::of(&[Alg::HS256]),
        &["https://idp.bank.example"],
        &["accounts-api"],
    )
    .unwrap();
    let now = Timestamp::from_secs(NOW);
    let originals = [
        (
            k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &good_claims()),
            &asym,
        ),
        (
            k.sign(&k.rsa, "PS256", json!({"kid": "rsa1"}), &good_claims()),
            &asym,
        ),
        (
            k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &good_claims()),
            &asym,
        ),
        (
            k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &good_claims()),
            &asym,
        ),
        (
            k.sign(&k.hs, "HS256", json!({"kid": "hs1"}), &good_claims()),
            &hs,
        ),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut tried = 0;
    for (orig, policy) in &originals {
        let ctx = VerifyContext::new(&jwks, policy, "GET");
        assert!(verify(orig, now, &ctx).is_ok());
        for _ in 0..3000 {
            let m = mutate(&mut rng, orig);
            let Ok(s) = String::from_utf8(m) else {
                continue;
            };
            if s == *orig {
                continue;
            }
            tried += 1;
            assert!(verify(&s, now, &ctx).is_err(), "mutation verified: {s}");
        }
    }
    assert!(tried > 10_000, "{tried}");
}

#[test]
fn random_strings_never_panic() {
    let k = Keys::new();
    let jwks = k.jwks();
    let p = Policy::new(AlgSet::of(&[Alg::RS256, Alg::ES256]), &["i"], &["a"]).unwrap();
    let ctx = VerifyContext::new(&jwks, &p, "GET");
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let len = rng.below(300);
        let s: Vec<u8> = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        let s = String::from_utf8_lossy(&s);
        assert!(verify(&s, Timestamp(rng.next() as i64), &ctx).is_err());
    }
}

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth > 6 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!((rng.next() as f64) * 1e10 - 1e300),
        4 => json!(["accounts:read", "x", "HS256", "none", ""][rng.below(5)]),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "alg", "kid", "typ", "crit", "jwk", "exp", "nbf", "iat", "aud", "iss", "scope",
                "scp", "cnf", "jti", "x5t#S256",
            ];
            Value::Object(
                (0..rng.below(6))
                    .map(|_| {
                        (
                            keys[rng.below(keys.len())].to_owned(),
                            random_value(rng, depth + 1),
                        )
                    })
                    .collect(),
            )
        }
    }
}

#[test]
fn validly_signed_garbage_claims_never_panic() {
    // Correct HS256 signatures over random headers and claims: exercises the
    // header and claims parsers past the signature check.
    let k = Keys::new();
    let jwks: Jwks = k.jwks();
    let p = Policy::new(AlgSet::of(&[Alg::HS256]), &["x"], &["x"]).unwrap();
    let ctx = VerifyContext::new(&jwks, &p, "GET");
    let mut rng = Rng(7);
    let mut reached_claims = 0;
    for _ in 0..5_000 {
        let mut header = random_value(&mut rng, 0);
        if !header.is_object() || rng.below(2) == 0 {
            header = json!({"alg": "HS256", "kid": "hs1"});
        }
        let claims = loop {
            let v = random_value(&mut rng, 0);
            if v.is_object() || rng.below(10) == 0 {
                break v;
            }
        };
        let input = format!(
            "{}.{}",
            b64url_encode(&serde_json::to_vec(&header).unwrap()),
            b64url_encode(&serde_json::to_vec(&claims).unwrap())
        );
        let sig = k.hs.sign_raw("HS256", input.as_bytes(), &k.rng);
        let token = format!("{input}.{}", b64url_encode(&sig));
        if let Err(
            JwtError::MissingExp
            | JwtError::Expired
            | JwtError::NotYetValid
            | JwtError::IssuedInFuture
            | JwtError::WrongIssuer
            | JwtError::WrongAudience,
        ) = verify(&token, Timestamp::from_secs(NOW), &ctx)
        {
            reached_claims += 1;
        }
    }
    // The signature passed often enough for the claim checks to be exercised.
    assert!(reached_claims > 800, "{reached_claims}");
    eprintln!("claim checks reached: {reached_claims}");
}
