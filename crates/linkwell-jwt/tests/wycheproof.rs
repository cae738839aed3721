//! Wycheproof JOSE conformance (`json_web_signature_test.json`): every
//! `invalid` vector must be refused and every `valid` one accepted, except
//! the vectors listed in `DEVIATIONS` (each with the reason) and those for
//! algorithms we do not implement (counted and printed).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use linkwell_jwt::{Alg, AlgSet, Jwk, Jwks, SkipReason, verify_compact};
use serde_json::Value;

/// Vectors where we knowingly disagree with the file, by tcId.
const DEVIATIONS: &[(u64, &str)] = &[
    (
        346,
        "valid in file, refused: key says alg PS256, token says PS384; a key with `alg` is used for that algorithm only (RFC 8725 §3.1)",
    ),
    (
        350,
        "valid in file, refused: same PS256 key / PS384 token as 346",
    ),
    (
        372,
        "valid in file, refused: '?' inside the header's base64url; RFC 7515 §2 allows no characters outside the alphabet",
    ),
    (
        373,
        "valid in file, refused: '?' inside the payload's base64url (as 372)",
    ),
    (
        367,
        "invalid in file, accepted: byte-identical to tcId 357, which the file marks valid (upstream padding was lost in this copy)",
    ),
    (
        370,
        "invalid in file, accepted: byte-identical to tcId 357 (as 367)",
    ),
];

#[test]
fn wycheproof_json_web_signature() {
    let Some(path) = common::shared_data("wycheproof-jose/json_web_signature_test.json") else {
        return;
    };
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let all = AlgSet::of(&Alg::ALL);
    let (mut valid_ok, mut invalid_ok, mut total) = (0, 0, 0);
    let mut unsupported: BTreeMap<String, u32> = BTreeMap::new();
    let mut deviated = Vec::new();
    let mut failures = Vec::new();
    let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
    for group in doc["testGroups"].as_array().unwrap() {
        let key = group
            .get("public")
            .filter(|k| !k.is_null())
            .unwrap_or(&group["private"]);
        let jwks = match Jwk::from_json_value(key) {
            Ok(k) => Some(Jwks::from_keys([k])),
            Err(SkipReason::UnsupportedCurve(c)) => {
                *unsupported
                    .entry(format!("curve {c}: ring has no P-521 (ES512)"))
                    .or_default() += group["tests"].as_array().unwrap().len() as u32;
                total += group["tests"].as_array().unwrap().len();
                continue;
            }
            Err(SkipReason::UnsupportedAlg(a)) => {
                *unsupported
                    .entry(format!(
                        "key alg {a} (P-521 key): ring has no P-521 (ES512)"
                    ))
                    .or_default() += group["tests"].as_array().unwrap().len() as u32;
                total += group["tests"].as_array().unwrap().len();
                continue;
            }
            Err(_) => None,
        };
        let jwks = jwks.unwrap_or_default();
        for t in group["tests"].as_array().unwrap() {
            total += 1;
            let id = t["tcId"].as_u64().unwrap();
            let expect_valid = t["result"] == "valid";
            let jws = t["jws"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| t["jws"].to_string());
            let got = verify_compact(&jws, &jwks, all);
            if let Err(e) = &got {
                let name = format!("{e:?}");
                let name = name.split(['(', ' ']).next().unwrap_or_default().to_owned();
                *reasons.entry(name).or_default() += 1;
            }
            let agrees = got.is_ok() == expect_valid;
            match (agrees, DEVIATIONS.iter().any(|(d, _)| *d == id)) {
                (true, false) if expect_valid => valid_ok += 1,
                (true, false) => invalid_ok += 1,
                (false, true) => deviated.push(id),
                (true, true) => failures.push(format!("tcId {id}: listed as deviation but agrees")),
                (false, false) => failures.push(format!(
                    "tcId {id} {}: expected {}, got {got:?}",
                    t["comment"], t["result"]
                )),
            }
        }
    }
    let unsupported_n: u32 = unsupported.values().sum();
    println!(
        "wycheproof JWS: {total} vectors: {valid_ok} valid accepted, {invalid_ok} invalid refused, \
         {} deviations {deviated:?}, {unsupported_n} unsupported {unsupported:?}, {} failures",
        deviated.len(),
        failures.len()
    );
    println!("refusal reasons: {reasons:?}");
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(deviated.len(), DEVIATIONS.len());
    assert_eq!(total, 401);
}
