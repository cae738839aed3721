//! Cost of one full `verify` (signature + every claim check) per algorithm
//! family, as the gateway would pay it per request.
//!
//! `cargo bench -p linkwell-jwt --bench verify`

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Keys, NOW, good_claims};
use criterion::{Criterion, criterion_group, criterion_main};
use linkwell_core::Timestamp;
use linkwell_jwt::{Alg, AlgSet, Policy, VerifyContext, verify};
use serde_json::json;

fn bench(c: &mut Criterion) {
    let k = Keys::new();
    let jwks = k.jwks();
    let asym = Policy::new(
        AlgSet::of(&[Alg::RS256, Alg::ES256, Alg::EdDSA]),
        &["https://idp.bank.example"],
        &["accounts-api"],
    )
    .unwrap()
    .require_scopes("GET", &["accounts:read"]);
    let hs = Policy::new(
        AlgSet::of(&[Alg::HS256]),
        &["https://idp.bank.example"],
        &["accounts-api"],
    )
    .unwrap()
    .require_scopes("GET", &["accounts:read"]);
    let now = Timestamp::from_secs(NOW);
    let mut g = c.benchmark_group("verify");
    for (name, signer, kid, policy) in [
        ("RS256", &k.rsa, "rsa1", &asym),
        ("ES256", &k.es, "ec1", &asym),
        ("EdDSA", &k.ed, "ed1", &asym),
        ("HS256", &k.hs, "hs1", &hs),
    ] {
        let token = k.sign(signer, name, json!({"kid": kid}), &good_claims());
        let ctx = VerifyContext::new(&jwks, policy, "GET");
        assert!(verify(&token, now, &ctx).is_ok());
        g.bench_function(name, |b| {
            b.iter(|| verify(std::hint::black_box(&token), now, &ctx).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
