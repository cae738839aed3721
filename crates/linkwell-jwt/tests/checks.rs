//! One known-answer test per check of issue 4's acceptance list: each builds a
//! token that must be refused for exactly one reason (and a good twin that
//! must pass, so the test cannot pass by refusing everything).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Keys, NOW, good_claims};
use linkwell_core::Timestamp;
use linkwell_jwt::{
    Alg, AlgSet, DenyList, Introspect, Introspection, IntrospectionCache, JwtError, Policy,
    PolicyError, VerifyContext, b64url_encode, cert_thumbprint, verify, verify_introspected,
};
use serde_json::json;

fn asym() -> AlgSet {
    AlgSet::of(&[Alg::RS256, Alg::PS256, Alg::ES256, Alg::EdDSA])
}

fn policy() -> Policy {
    Policy::new(asym(), &["https://idp.bank.example"], &["accounts-api"])
        .unwrap()
        .require_scopes("GET", &["accounts:read"])
        .require_scopes("POST", &["accounts:write"])
        .require_scopes("DELETE", &["accounts:admin"])
}

fn now() -> Timestamp {
    Timestamp::from_secs(NOW)
}

fn check(keys: &Keys, policy: &Policy, token: &str) -> Result<linkwell_jwt::Claims, JwtError> {
    let jwks = keys.jwks();
    verify(token, now(), &VerifyContext::new(&jwks, policy, "GET"))
}

#[test]
fn good_tokens_of_every_asymmetric_family_pass() {
    let k = Keys::new();
    let p = policy();
    for (signer, alg, kid) in [
        (&k.rsa, "RS256", "rsa1"),
        (&k.rsa, "PS256", "rsa1"),
        (&k.es, "ES256", "ec1"),
        (&k.ed, "EdDSA", "ed1"),
    ] {
        let t = k.sign(
            signer,
            alg,
            json!({"kid": kid, "typ": "at+jwt"}),
            &good_claims(),
        );
        let c = check(&k, &p, &t).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(c.sub.as_deref(), Some("user-42"));
        assert_eq!(c.scopes, ["accounts:read", "accounts:write"]);
        assert_eq!(c.alg.name(), alg);
    }
}

#[test]
fn hs_passes_only_under_an_hs_policy() {
    let k = Keys::new();
    let t = k.sign(&k.hs, "HS256", json!({"kid": "hs1"}), &good_claims());
    let hs = Policy::new(
        AlgSet::of(&[Alg::HS256]),
        &["https://idp.bank.example"],
        &["accounts-api"],
    )
    .unwrap();
    assert!(check(&k, &hs, &t).is_ok());
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::AlgNotAllowed("HS256")
    );
}

#[test]
fn alg_none_is_refused_in_any_spelling() {
    let k = Keys::new();
    let body = b64url_encode(&serde_json::to_vec(&good_claims()).unwrap());
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = b64url_encode(format!(r#"{{"alg":"{alg}","kid":"rsa1"}}"#).as_bytes());
        for sig in ["", "AAAA"] {
            let t = format!("{h}.{body}.{sig}");
            assert_eq!(
                check(&k, &policy(), &t).unwrap_err(),
                JwtError::AlgNone,
                "{alg} {sig:?}"
            );
        }
    }
}

#[test]
fn hs_rs_confusion_is_refused() {
    // The classic attack: HMAC over the token with the RSA public key's bytes
    // as the secret, alg switched to HS256, kid of the RSA key.
    let k = Keys::new();
    let rsa_jwk = k.rsa.jwk("rsa1");
    let public_bytes = serde_json::to_vec(&rsa_jwk).unwrap();
    let forged = k.sign(
        &common::Signer::Hs(public_bytes),
        "HS256",
        json!({"kid": "rsa1"}),
        &good_claims(),
    );
    // Even a policy that wrongly listed HS256 would not use an RSA key for it;
    // such a policy cannot be built, so check the JWS layer directly.
    let all = AlgSet::of(&Alg::ALL);
    assert!(matches!(
        linkwell_jwt::verify_compact(&forged, &k.jwks(), all).unwrap_err(),
        JwtError::KeyAlgMismatch { alg: "HS256", .. }
    ));
    assert_eq!(
        check(&k, &policy(), &forged).unwrap_err(),
        JwtError::AlgNotAllowed("HS256")
    );
    // And an RS token pointing at the oct key is refused too.
    let t = k.sign(&k.rsa, "RS256", json!({"kid": "hs1"}), &good_claims());
    assert!(matches!(
        linkwell_jwt::verify_compact(&t, &k.jwks(), all).unwrap_err(),
        JwtError::KeyAlgMismatch { alg: "RS256", .. }
    ));
    // A policy mixing the families cannot exist.
    assert_eq!(
        Policy::new(AlgSet::of(&[Alg::RS256, Alg::HS256]), &["i"], &["a"]).unwrap_err(),
        PolicyError::MixedSymmetricAsymmetric
    );
}

#[test]
fn key_with_its_own_alg_is_used_only_for_it() {
    let k = Keys::new();
    let mut jwk = k.rsa.jwk("rsa1");
    jwk["alg"] = json!("PS256");
    let jwks = linkwell_jwt::Jwks::from_json(&serde_json::to_vec(&json!({"keys":[jwk]})).unwrap())
        .unwrap();
    let p = policy();
    let rs = k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &good_claims());
    let ps = k.sign(&k.rsa, "PS256", json!({"kid": "rsa1"}), &good_claims());
    let ctx = VerifyContext::new(&jwks, &p, "GET");
    assert!(matches!(
        verify(&rs, now(), &ctx).unwrap_err(),
        JwtError::KeyAlgMismatch { .. }
    ));
    assert!(verify(&ps, now(), &ctx).is_ok());
}

#[test]
fn wrong_audience_and_missing_audience_are_refused() {
    let k = Keys::new();
    for aud in [json!("payments-api"), json!(["x", "y"]), json!([])] {
        let mut c = good_claims();
        c["aud"] = aud;
        let t = k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &c);
        assert_eq!(
            check(&k, &policy(), &t).unwrap_err(),
            JwtError::WrongAudience
        );
    }
    let mut c = good_claims();
    c.as_object_mut().unwrap().remove("aud");
    let t = k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &c);
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::WrongAudience
    );
    // A single string audience that matches passes.
    let mut c = good_claims();
    c["aud"] = json!("accounts-api");
    let t = k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &c);
    assert!(check(&k, &policy(), &t).is_ok());
}

#[test]
fn wrong_or_missing_issuer_is_refused() {
    let k = Keys::new();
    let mut c = good_claims();
    c["iss"] = json!("https://evil.example");
    let t = k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &c);
    assert_eq!(check(&k, &policy(), &t).unwrap_err(), JwtError::WrongIssuer);
    c.as_object_mut().unwrap().remove("iss");
    let t = k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &c);
    assert_eq!(check(&k, &policy(), &t).unwrap_err(), JwtError::WrongIssuer);
}

#[test]
fn missing_scope_per_method() {
    let k = Keys::new();
    let jwks = k.jwks();
    let p = policy();
    let mut c = good_claims();
    c["scope"] = json!("accounts:read");
    let t = k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &c);
    let at = |m| verify(&t, now(), &VerifyContext::new(&jwks, &p, m));
    assert!(at("GET").is_ok());
    assert!(at("get").is_ok());
    assert_eq!(
        at("POST").unwrap_err(),
        JwtError::MissingScope("accounts:write".into())
    );
    assert_eq!(
        at("DELETE").unwrap_err(),
        JwtError::MissingScope("accounts:admin".into())
    );
    // A method without its own rule and no "*" rule needs no scope.
    assert!(at("HEAD").is_ok());
    // The `scp` array form counts too, and "*" covers the other methods.
    let p2 = policy().require_scopes("*", &["ops"]);
    let mut c = good_claims();
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["accounts:read", "ops"]);
    let t = k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &c);
    assert!(verify(&t, now(), &VerifyContext::new(&jwks, &p2, "HEAD")).is_ok());
    assert!(verify(&t, now(), &VerifyContext::new(&jwks, &p2, "GET")).is_ok());
    // Scope matching is exact: a prefix is not the scope.
    let mut c = good_claims();
    c["scope"] = json!("accounts:readonly");
    let t = k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &c);
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::MissingScope("accounts:read".into())
    );
}

#[test]
fn expired_and_not_yet_valid_with_bounded_leeway() {
    let k = Keys::new();
    let p = policy().with_leeway(30).unwrap();
    let tok = |exp: i64, nbf: i64| {
        let mut c = good_claims();
        c["exp"] = json!(exp);
        c["nbf"] = json!(nbf);
        c["iat"] = json!(nbf);
        k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &c)
    };
    assert_eq!(
        check(&k, &p, &tok(NOW - 31, NOW - 600)).unwrap_err(),
        JwtError::Expired
    );
    assert_eq!(
        check(&k, &p, &tok(NOW - 30, NOW - 600)).unwrap_err(),
        JwtError::Expired
    );
    assert!(
        check(&k, &p, &tok(NOW - 29, NOW - 600)).is_ok(),
        "inside leeway"
    );
    assert_eq!(
        check(&k, &p, &tok(NOW + 600, NOW + 31)).unwrap_err(),
        JwtError::NotYetValid
    );
    assert!(
        check(&k, &p, &tok(NOW + 600, NOW + 30)).is_ok(),
        "inside leeway"
    );
    assert_eq!(
        policy().with_leeway(301).unwrap_err(),
        PolicyError::LeewayTooLarge(301)
    );
    // exp is required unless the policy says otherwise; a string exp is malformed.
    let mut c = good_claims();
    c.as_object_mut().unwrap().remove("exp");
    let t = k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &c);
    assert_eq!(check(&k, &policy(), &t).unwrap_err(), JwtError::MissingExp);
    assert!(check(&k, &policy().allow_missing_exp(), &t).is_ok());
    c["exp"] = json!("99999999999");
    let t = k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &c);
    assert!(matches!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::Malformed(_)
    ));
}

#[test]
fn revoked_by_deny_list() {
    let k = Keys::new();
    let jwks = k.jwks();
    let p = policy();
    let t = k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &good_claims());
    let mut deny = DenyList::new(2);
    assert!(deny.insert("other"));
    let mut ctx = VerifyContext::new(&jwks, &p, "GET");
    ctx.deny = Some(&deny);
    assert!(verify(&t, now(), &ctx).is_ok());
    let mut deny = DenyList::new(2);
    assert!(deny.insert("tok-1"));
    assert!(deny.insert("x"));
    assert!(!deny.insert("y"), "bounded");
    ctx.deny = Some(&deny);
    assert_eq!(verify(&t, now(), &ctx).unwrap_err(), JwtError::Revoked);
    // A route that relies on the deny list refuses tokens without jti.
    let mut c = good_claims();
    c.as_object_mut().unwrap().remove("jti");
    let t = k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &c);
    let p2 = policy().require_jti();
    assert_eq!(
        verify(&t, now(), &VerifyContext::new(&jwks, &p2, "GET")).unwrap_err(),
        JwtError::MissingJti
    );
}

struct FakeAs {
    active: bool,
    calls: std::cell::Cell<u32>,
}

impl Introspect for FakeAs {
    fn introspect(&self, _token: &str) -> Result<Introspection, String> {
        self.calls.set(self.calls.get() + 1);
        Ok(Introspection {
            active: self.active,
            exp: None,
        })
    }
}

struct DownAs;

impl Introspect for DownAs {
    fn introspect(&self, _token: &str) -> Result<Introspection, String> {
        Err("connection refused".into())
    }
}

#[test]
fn revoked_by_introspection_and_cached() {
    let k = Keys::new();
    let jwks = k.jwks();
    let p = policy().require_introspection();
    let t = k.sign(&k.es, "ES256", json!({"kid": "ec1"}), &good_claims());
    let ctx = VerifyContext::new(&jwks, &p, "GET");
    assert_eq!(
        verify(&t, now(), &ctx).unwrap_err(),
        JwtError::IntrospectionRequired
    );

    let mut cache = IntrospectionCache::new(8, 60);
    let revoked = FakeAs {
        active: false,
        calls: 0.into(),
    };
    assert_eq!(
        verify_introspected(&t, now(), &ctx, &revoked, &mut cache).unwrap_err(),
        JwtError::Revoked
    );
    assert_eq!(
        verify_introspected(&t, now(), &ctx, &revoked, &mut cache).unwrap_err(),
        JwtError::Revoked
    );
    assert_eq!(revoked.calls.get(), 1, "second answer came from the cache");
    let mut ctx2 = ctx;
    ctx2.introspection = Some(&cache);
    assert_eq!(verify(&t, now(), &ctx2).unwrap_err(), JwtError::Revoked);

    let mut cache = IntrospectionCache::new(8, 60);
    let live = FakeAs {
        active: true,
        calls: 0.into(),
    };
    assert!(verify_introspected(&t, now(), &ctx, &live, &mut cache).is_ok());
    // After the TTL the server is asked again.
    let later = Timestamp::from_secs(NOW + 61);
    assert!(verify_introspected(&t, later, &ctx, &live, &mut cache).is_ok());
    assert_eq!(live.calls.get(), 2);

    let mut cache = IntrospectionCache::new(8, 60);
    assert!(matches!(
        verify_introspected(&t, now(), &ctx, &DownAs, &mut cache).unwrap_err(),
        JwtError::IntrospectionFailed(_)
    ));
}

#[test]
fn introspection_cache_is_bounded_and_never_outlives_the_token() {
    let mut cache = IntrospectionCache::new(3, 600);
    let now = now();
    for i in 0..100 {
        cache.insert(
            &format!("t{i}"),
            Introspection {
                active: true,
                exp: None,
            },
            None,
            now,
        );
        assert!(cache.len() <= 3);
    }
    assert_eq!(cache.get("t99", now), Some(true));
    let mut cache = IntrospectionCache::new(3, 600);
    cache.insert(
        "short",
        Introspection {
            active: true,
            exp: None,
        },
        Some(Timestamp::from_secs(NOW + 5)),
        now,
    );
    assert_eq!(
        cache.get("short", Timestamp::from_secs(NOW + 4)),
        Some(true)
    );
    assert_eq!(cache.get("short", Timestamp::from_secs(NOW + 5)), None);
}

#[test]
fn certificate_bound_tokens() {
    let k = Keys::new();
    let jwks = k.jwks();
    let cert = b"pretend DER of the client certificate";
    let other = b"another client certificate";
    let thumb = cert_thumbprint(cert);
    let mut c = good_claims();
    c["cnf"] = json!({"x5t#S256": thumb});
    let bound = k.sign(&k.rsa, "PS256", json!({"kid": "rsa1"}), &c);
    let unbound = k.sign(&k.rsa, "PS256", json!({"kid": "rsa1"}), &good_claims());
    let p = policy().require_cnf();
    let other_thumb = cert_thumbprint(other);
    let ctx = |cert: Option<&'static str>| {
        let mut x = VerifyContext::new(&jwks, &p, "GET");
        x.client_cert_x5t_s256 = cert;
        x
    };
    let thumb_s: &'static str = Box::leak(thumb.into_boxed_str());
    let other_s: &'static str = Box::leak(other_thumb.into_boxed_str());
    assert!(verify(&bound, now(), &ctx(Some(thumb_s))).is_ok());
    assert_eq!(
        verify(&bound, now(), &ctx(Some(other_s))).unwrap_err(),
        JwtError::CnfMismatch
    );
    assert_eq!(
        verify(&bound, now(), &ctx(None)).unwrap_err(),
        JwtError::CnfMismatch
    );
    assert_eq!(
        verify(&unbound, now(), &ctx(Some(thumb_s))).unwrap_err(),
        JwtError::CnfMissing
    );
    // A bound token is checked even on routes that do not require binding.
    let lax = policy();
    let mut x = VerifyContext::new(&jwks, &lax, "GET");
    x.client_cert_x5t_s256 = Some(other_s);
    assert_eq!(
        verify(&bound, now(), &x).unwrap_err(),
        JwtError::CnfMismatch
    );
    // RFC 8705 §3.1 thumbprint of a known input (SHA-256 of "abc").
    assert_eq!(
        cert_thumbprint(b"abc"),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
}

#[test]
fn tampering_and_unknown_keys() {
    let k = Keys::new();
    let t = k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &good_claims());
    // Change one claim, keep the signature.
    let mut c = good_claims();
    c["sub"] = json!("admin");
    let other = k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &c);
    let parts: Vec<&str> = t.split('.').collect();
    let o: Vec<&str> = other.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], o[1], parts[2]);
    assert_eq!(
        check(&k, &policy(), &forged).unwrap_err(),
        JwtError::BadSignature
    );
    // Unknown kid: reported so the gateway can refetch the JWKS.
    let t = k.sign(&k.rsa, "RS256", json!({"kid": "rotated-2"}), &good_claims());
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::KeyNotFound(Some("rotated-2".into()))
    );
    // No kid: the single key of the family is used.
    let t = k.sign(&k.rsa, "RS256", json!({}), &good_claims());
    assert!(check(&k, &policy(), &t).is_ok());
    // An embedded jwk header is ignored; the JWKS key decides.
    let attacker = Keys::new();
    let t = attacker.sign(
        &attacker.es,
        "ES256",
        json!({"kid": "ec1", "jwk": attacker.es.jwk("ec1")}),
        &good_claims(),
    );
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::BadSignature
    );
    // Critical extensions we do not implement.
    let t = k.sign(
        &k.rsa,
        "RS256",
        json!({"kid": "rsa1", "b64": false, "crit": ["b64"]}),
        &good_claims(),
    );
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::UnsupportedCrit
    );
    // Unsupported algorithm names.
    let t = k.sign(&k.rsa, "RS256", json!({"kid": "rsa1"}), &good_claims());
    let h = b64url_encode(br#"{"alg":"ES512","kid":"rsa1"}"#);
    let p: Vec<&str> = t.split('.').collect();
    let t2 = format!("{h}.{}.{}", p[1], p[2]);
    assert_eq!(
        check(&k, &policy(), &t2).unwrap_err(),
        JwtError::UnsupportedAlg("ES512".into())
    );
}

#[test]
fn explicit_typ() {
    let k = Keys::new();
    let p = policy().require_typ("at+jwt");
    for (typ, ok) in [
        (json!("at+jwt"), true),
        (json!("application/at+JWT"), true),
        (json!("JWT"), false),
    ] {
        let t = k.sign(
            &k.ed,
            "EdDSA",
            json!({"kid": "ed1", "typ": typ}),
            &good_claims(),
        );
        assert_eq!(check(&k, &p, &t).is_ok(), ok, "{typ}");
    }
    let t = k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &good_claims());
    assert_eq!(check(&k, &p, &t).unwrap_err(), JwtError::WrongType);
}

#[test]
fn jwks_checks_key_types_and_skips_bad_keys() {
    let k = Keys::new();
    let mut v = k.jwk_values();
    v.push(json!({"kty":"EC","kid":"p521","crv":"P-521","x":"AA","y":"AA"}));
    v.push(json!({"kty":"RSA","kid":"tiny","n":"AQAB","e":"AQAB"}));
    v.push(
        json!({"kty":"RSA","kid":"mislabelled","alg":"ES256","n":k.rsa.jwk("x")["n"],"e":"AQAB"}),
    );
    let mut enc = k.rsa.jwk("enc1");
    enc["use"] = json!("enc");
    v.push(enc);
    let jwks =
        linkwell_jwt::Jwks::from_json(&serde_json::to_vec(&json!({"keys": v})).unwrap()).unwrap();
    assert_eq!(jwks.keys().len(), 5);
    let skipped: Vec<_> = jwks
        .skipped()
        .iter()
        .map(|(kid, _)| kid.clone().unwrap())
        .collect();
    assert_eq!(skipped, ["p521", "tiny", "mislabelled"]);
    let p = policy();
    let t = k.sign(&k.rsa, "RS256", json!({"kid": "enc1"}), &good_claims());
    assert_eq!(
        verify(&t, now(), &VerifyContext::new(&jwks, &p, "GET")).unwrap_err(),
        JwtError::KeyNotForSignature(Some("enc1".into()))
    );
    // Documents that are not key sets, or are hostile, are errors, not panics.
    for bad in [&b"{}"[..], b"[]", b"not json", &vec![b'['; 100_000]] {
        assert!(linkwell_jwt::Jwks::from_json(bad).is_err());
    }
    // A short HMAC secret is refused for the algorithm (RFC 7518 §3.2).
    let short = json!({"keys":[{"kty":"oct","kid":"s","k":b64url_encode(b"short")}]});
    let jwks = linkwell_jwt::Jwks::from_json(&serde_json::to_vec(&short).unwrap()).unwrap();
    let t = k.sign(
        &common::Signer::Hs(b"short".to_vec()),
        "HS256",
        json!({"kid": "s"}),
        &good_claims(),
    );
    let hp = Policy::new(
        AlgSet::of(&[Alg::HS256]),
        &["https://idp.bank.example"],
        &["accounts-api"],
    )
    .unwrap();
    assert_eq!(
        verify(&t, now(), &VerifyContext::new(&jwks, &hp, "GET")).unwrap_err(),
        JwtError::KeyTooWeak(Some("s".into()))
    );
}

#[test]
fn size_and_depth_bounds() {
    let k = Keys::new();
    let mut c = good_claims();
    c["pad"] = json!("x".repeat(20_000));
    let t = k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &c);
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::TooLarge { max: 16 * 1024 }
    );
    let mut deep = json!(1);
    for _ in 0..40 {
        deep = json!([deep]);
    }
    let mut c = good_claims();
    c["deep"] = deep;
    let t = k.sign(&k.ed, "EdDSA", json!({"kid": "ed1"}), &c);
    assert_eq!(
        check(&k, &policy(), &t).unwrap_err(),
        JwtError::Malformed("JSON nested too deep")
    );
}

#[test]
fn policy_cannot_be_empty() {
    assert_eq!(
        Policy::new(AlgSet::empty(), &["i"], &["a"]).unwrap_err(),
        PolicyError::NoAlgorithms
    );
    assert_eq!(
        Policy::new(asym(), &[], &["a"]).unwrap_err(),
        PolicyError::NoIssuer
    );
    assert_eq!(
        Policy::new(asym(), &["i"], &[]).unwrap_err(),
        PolicyError::NoAudience
    );
}

#[test]
fn duplicate_members_take_the_last_value() {
    let k = Keys::new();
    let h = b64url_encode(br#"{"alg":"none","kid":"ec1","alg":"ES256"}"#);
    let claims = format!(
        r#"{{"iss":"https://evil.example","iss":"https://idp.bank.example","aud":"accounts-api","exp":{},"scope":"accounts:read"}}"#,
        NOW + 60
    );
    let input = format!("{h}.{}", b64url_encode(claims.as_bytes()));
    let sig = k.es.sign_raw("ES256", input.as_bytes(), &k.rng);
    let t = format!("{input}.{}", b64url_encode(&sig));
    let c = check(&k, &policy(), &t).unwrap();
    assert_eq!(c.iss.as_deref(), Some("https://idp.bank.example"));
    // And the other order is refused on the same grounds.
    let h = b64url_encode(br#"{"alg":"ES256","kid":"ec1","alg":"none"}"#);
    let input = format!("{h}.{}", b64url_encode(claims.as_bytes()));
    let sig = k.es.sign_raw("ES256", input.as_bytes(), &k.rng);
    let t = format!("{input}.{}", b64url_encode(&sig));
    assert_eq!(check(&k, &policy(), &t).unwrap_err(), JwtError::AlgNone);
}

#[test]
fn every_supported_alg_round_trips_and_curves_do_not_mix() {
    use ring::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair};
    let k = Keys::new();
    let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &k.rng).unwrap();
    let p384 = common::Signer::Es256(
        EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pk8.as_ref(), &k.rng).unwrap(),
    );
    let pt = match &p384 {
        common::Signer::Es256(kp) => ring::signature::KeyPair::public_key(kp).as_ref().to_vec(),
        _ => unreachable!(),
    };
    let p384_jwk = json!({"kty":"EC","kid":"ec384","crv":"P-384","x":b64url_encode(&pt[1..49]),"y":b64url_encode(&pt[49..97])});
    let mut keys = k.jwk_values();
    keys.push(p384_jwk);
    let jwks =
        linkwell_jwt::Jwks::from_json(&serde_json::to_vec(&json!({ "keys": keys })).unwrap())
            .unwrap();
    let all = AlgSet::of(&Alg::ALL);
    for alg in Alg::ALL {
        let (signer, kid) = match alg {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => (&k.hs, "hs1"),
            Alg::ES256 => (&k.es, "ec1"),
            Alg::ES384 => (&p384, "ec384"),
            Alg::EdDSA => (&k.ed, "ed1"),
            _ => (&k.rsa, "rsa1"),
        };
        let t = k.sign(signer, alg.name(), json!({"kid": kid}), &good_claims());
        let got =
            linkwell_jwt::verify_compact(&t, &jwks, all).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(got.alg, alg);
        // Only the named algorithm is allowed: every other one is refused.
        let only_other = AlgSet::of(
            &Alg::ALL
                .into_iter()
                .filter(|a| *a != alg)
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            linkwell_jwt::verify_compact(&t, &jwks, only_other).unwrap_err(),
            JwtError::AlgNotAllowed(alg.name())
        );
    }
    // An ES256 token naming the P-384 key, and an ES384 one naming the P-256 key.
    let t = k.sign(&k.es, "ES256", json!({"kid": "ec384"}), &good_claims());
    assert!(matches!(
        linkwell_jwt::verify_compact(&t, &jwks, all).unwrap_err(),
        JwtError::KeyAlgMismatch { .. }
    ));
    let t = k.sign(&p384, "ES384", json!({"kid": "ec1"}), &good_claims());
    assert!(matches!(
        linkwell_jwt::verify_compact(&t, &jwks, all).unwrap_err(),
        JwtError::KeyAlgMismatch { .. }
    ));
}

#[test]
fn jwks_refetch_is_rate_limited() {
    let mut gate = linkwell_jwt::RefetchGate::new(30);
    let t = |s| Timestamp::from_secs(NOW + s);
    assert!(gate.try_acquire(t(0)));
    assert!(!gate.try_acquire(t(1)));
    assert!(!gate.try_acquire(t(29)));
    assert!(gate.try_acquire(t(30)));
    assert!(!gate.try_acquire(t(31)));
    // A clock step backwards does not unlock it early.
    assert!(!gate.try_acquire(t(-100)));
}
