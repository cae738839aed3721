//! RFC 7520 §4 (JOSE cookbook) JWS examples in compact serialization, plus the
//! RFC 8037 Ed25519 example, verified with the keys given in each file. Each
//! verified token is then corrupted (one signature bit) and must be refused.

#![allow(clippy::unwrap_used)]

mod common;

use linkwell_jwt::{Alg, AlgSet, Jwk, Jwks, JwtError, SkipReason, b64url_encode, verify_compact};
use serde_json::Value;

const FILES: &[&str] = &[
    "jose-cookbook/jws/4_1.rsa_v15_signature.json",
    "jose-cookbook/jws/4_2.rsa-pss_signature.json",
    "jose-cookbook/jws/4_3.ecdsa_signature.json",
    "jose-cookbook/jws/4_4.hmac-sha2_integrity_protection.json",
    "jose-cookbook/jws/4_5.signature_with_detached_content.json",
    "jose-cookbook/jws/4_6.protecting_specific_header_fields.json",
    "jose-cookbook/jws/4_7.protecting_content_only.json",
    "jose-cookbook/jws/4_8.multiple_signatures.json",
    "jose-cookbook/curve25519/jws.json",
];

#[test]
fn cookbook_compact_jws() {
    let (mut verified, mut no_compact, mut unsupported) = (Vec::new(), Vec::new(), Vec::new());
    for rel in FILES {
        let Some(path) = common::shared_data(rel) else {
            return;
        };
        let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let Some(compact) = doc["output"]["compact"].as_str() else {
            // 4.6 (unprotected header), 4.7 (no protected header) and 4.8
            // (several signatures) exist only in JSON serialization.
            no_compact.push(*rel);
            continue;
        };
        let key = match Jwk::from_json_value(&doc["input"]["key"]) {
            Ok(k) => k,
            Err(SkipReason::UnsupportedCurve(c)) => {
                unsupported.push(format!("{rel}: {c} (ES512) not in ring"));
                continue;
            }
            Err(e) => panic!("{rel}: key refused: {e:?}"),
        };
        let jwks = Jwks::from_keys([key]);
        let alg = Alg::parse(doc["input"]["alg"].as_str().unwrap()).unwrap();
        // 4.5: the payload is detached; put it back before verifying.
        let token = match compact.split('.').collect::<Vec<_>>()[..] {
            [h, "", s] => {
                let payload = doc["input"]["payload"].as_str().unwrap();
                format!("{h}.{}.{s}", b64url_encode(payload.as_bytes()))
            }
            _ => compact.to_owned(),
        };
        let got = verify_compact(&token, &jwks, AlgSet::of(&[alg]))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(
            got.payload,
            doc["input"]["payload"].as_str().unwrap().as_bytes(),
            "{rel}"
        );

        // One flipped bit in the signature's first byte.
        let (head, sig) = token.rsplit_once('.').unwrap();
        let mut bytes = sig.as_bytes().to_vec();
        bytes[0] = if bytes[0] == b'A' { b'B' } else { b'A' };
        let bad = format!("{head}.{}", String::from_utf8(bytes).unwrap());
        assert_eq!(
            verify_compact(&bad, &jwks, AlgSet::of(&[alg])).unwrap_err(),
            JwtError::BadSignature,
            "{rel}"
        );
        // And the same token is refused when the route does not allow its alg.
        let other = if alg == Alg::EdDSA {
            Alg::ES256
        } else {
            Alg::EdDSA
        };
        assert!(matches!(
            verify_compact(&token, &jwks, AlgSet::of(&[other])).unwrap_err(),
            JwtError::AlgNotAllowed(_)
        ));
        verified.push(format!("{rel} ({alg})"));
    }
    println!(
        "cookbook: {} verified {verified:?}; {} JSON-only {no_compact:?}; {} unsupported {unsupported:?}",
        verified.len(),
        no_compact.len(),
        unsupported.len()
    );
    assert_eq!(verified.len(), 5);
    assert_eq!(no_compact.len(), 3);
    assert_eq!(unsupported.len(), 1);
}
