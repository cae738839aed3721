//! Known-answer tests for the client-certificate verifier, with a PKI made at
//! test time by rcgen: each way a client certificate can be wrong must fail
//! with its own reason, and hostile bytes must never panic.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use linkwell_core::{CertVerify, Timestamp};
use linkwell_validate::mtls::{
    CertError, CertificateDer, ClientCertVerifier, MAX_SANS, StoreError, SubjectAltName,
    TrustStore, VerifyOptions,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose,
    NameConstraints, RevokedCertParams, SanType, SerialNumber, date_time_ymd,
};
use sha2::{Digest, Sha256};

type Ca = CertifiedIssuer<'static, KeyPair>;

/// 2026-06-01T00:00:00Z: inside every validity window below.
fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = date_time_ymd(2020, 1, 1);
    p.not_after = date_time_ymd(2040, 1, 1);
    p
}

fn root(cn: &str) -> Ca {
    CertifiedIssuer::self_signed(ca_params(cn), KeyPair::generate().unwrap()).unwrap()
}

fn intermediate(cn: &str, parent: &Ca) -> Ca {
    CertifiedIssuer::signed_by(ca_params(cn), KeyPair::generate().unwrap(), parent).unwrap()
}

const SERIAL: [u8; 8] = [0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x08];

fn client_params() -> CertificateParams {
    let mut p = CertificateParams::new(vec!["client-1.example.com".to_string()]).unwrap();
    p.subject_alt_names.push(SanType::URI(
        "spiffe://linkwell.test/ns/pay/sa/client-1"
            .try_into()
            .unwrap(),
    ));
    p.subject_alt_names
        .push(SanType::Rfc822Name("ops@example.com".try_into().unwrap()));
    p.subject_alt_names
        .push(SanType::IpAddress("10.1.2.3".parse().unwrap()));
    p.distinguished_name.push(DnType::CommonName, "client-1");
    p.distinguished_name
        .push(DnType::OrganizationName, "Linkwell Test");
    p.serial_number = Some(SerialNumber::from_slice(&SERIAL));
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2027, 1, 1);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.use_authority_key_identifier_extension = true;
    p
}

fn issue(p: &CertificateParams, ca: &Ca) -> CertificateDer<'static> {
    p.signed_by(&KeyPair::generate().unwrap(), ca)
        .unwrap()
        .der()
        .clone()
}

fn verifier(anchor: &Ca) -> ClientCertVerifier {
    let store = TrustStore::from_pem(anchor.pem().as_bytes()).unwrap();
    ClientCertVerifier::new(Arc::new(store))
}

fn crl(ca: &Ca, revoked: &[&[u8]], next_update: (i32, u8, u8)) -> rcgen::CertificateRevocationList {
    CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 1, 1),
        next_update: date_time_ymd(next_update.0, next_update.1, next_update.2),
        crl_number: SerialNumber::from(7u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from_slice(s),
                revocation_time: date_time_ymd(2026, 2, 1),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(ca)
    .unwrap()
}

#[test]
fn valid_client_cert_passes_with_facts() {
    let ca = root("Test Root");
    let leaf = issue(&client_params(), &ca);
    let v = verifier(&ca).verify_at(std::slice::from_ref(&leaf), now());
    assert_eq!(
        v.result,
        Ok(linkwell_validate::mtls::Verified { intermediates: 0 })
    );
    assert_eq!(v.cert_verify(), CertVerify::Success);
    assert_eq!(v.reason(), None);

    let facts = v.facts.as_ref().unwrap();
    assert_eq!(
        facts.fingerprint_sha256,
        hex(&Sha256::digest(leaf.as_ref()))
    );
    let d = facts.details.as_ref().unwrap();
    assert_eq!(d.subject, "CN=client-1, O=Linkwell Test");
    assert_eq!(d.issuer, "CN=Test Root");
    assert_eq!(d.serial_hex, "1f2e3d4c5b6a7908");
    assert_eq!(
        d.not_before,
        Timestamp::parse_rfc3339("2025-01-01T00:00:00Z").unwrap()
    );
    assert_eq!(
        d.not_after,
        Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").unwrap()
    );
    assert_eq!(
        d.sans,
        vec![
            SubjectAltName::Dns("client-1.example.com".into()),
            SubjectAltName::Uri("spiffe://linkwell.test/ns/pay/sa/client-1".into()),
            SubjectAltName::Email("ops@example.com".into()),
            SubjectAltName::Ip("10.1.2.3".parse().unwrap()),
        ]
    );

    let cc = v.client_cert().unwrap();
    assert_eq!(cc.verify, CertVerify::Success);
    assert_eq!(cc.subject.as_deref(), Some("CN=client-1, O=Linkwell Test"));
    assert_eq!(cc.issuer.as_deref(), Some("CN=Test Root"));
    assert_eq!(cc.serial.as_deref(), Some("1f2e3d4c5b6a7908"));
    assert_eq!(
        cc.uri_san.as_deref(),
        Some("spiffe://linkwell.test/ns/pay/sa/client-1")
    );
    assert_eq!(
        cc.fingerprint_sha256.as_deref(),
        Some(facts.fingerprint_sha256.as_str())
    );
    assert_eq!(cc.not_after.as_deref(), Some("2027-01-01T00:00:00.000Z"));
}

#[test]
fn expired_and_not_yet_valid() {
    let ca = root("Test Root");
    let leaf = [issue(&client_params(), &ca)];
    let v = verifier(&ca);
    let late = v.verify_at(
        &leaf,
        Timestamp::parse_rfc3339("2027-01-02T00:00:00Z").unwrap(),
    );
    assert_eq!(
        late.result,
        Err(CertError::Expired {
            not_after: Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").unwrap()
        })
    );
    assert_eq!(late.reason(), Some("expired"));
    assert_eq!(late.cert_verify(), CertVerify::Failed);
    assert_eq!(late.client_cert().unwrap().verify, CertVerify::Failed);
    // Facts are there for the record even though it failed.
    assert!(late.facts.unwrap().details.is_some());

    let early = v.verify_at(
        &leaf,
        Timestamp::parse_rfc3339("2024-12-31T00:00:00Z").unwrap(),
    );
    assert_eq!(
        early.result,
        Err(CertError::NotYetValid {
            not_before: Timestamp::parse_rfc3339("2025-01-01T00:00:00Z").unwrap()
        })
    );
    assert_eq!(early.reason(), Some("not_yet_valid"));
}

#[test]
fn unknown_ca_fails() {
    let trusted = root("Trusted Root");
    let rogue = root("Trusted Root"); // same name, different key
    let leaf = [issue(&client_params(), &rogue)];
    let v = verifier(&trusted).verify_at(&leaf, now());
    // Same issuer name, so webpki finds a candidate and fails its signature.
    assert_eq!(v.result, Err(CertError::BadSignature));

    let other = root("Other Root");
    let leaf = [issue(&client_params(), &other)];
    let v = verifier(&trusted).verify_at(&leaf, now());
    assert_eq!(v.result, Err(CertError::UnknownIssuer));
    assert_eq!(v.reason(), Some("unknown_issuer"));
}

#[test]
fn revoked_by_crl_der_and_pem() {
    let ca = root("Test Root");
    let leaf = [issue(&client_params(), &ca)];
    let list = crl(&ca, &[&[0x01, 0x02], &SERIAL], (2027, 1, 1));
    for bytes in [
        list.der().as_ref().to_vec(),
        list.pem().unwrap().into_bytes(),
    ] {
        let store = TrustStore::from_pem(ca.pem().as_bytes())
            .unwrap()
            .with_crls(&bytes)
            .unwrap();
        assert_eq!(store.crl_count(), 1);
        let v = ClientCertVerifier::new(Arc::new(store)).verify_at(&leaf, now());
        assert_eq!(v.result, Err(CertError::Revoked));
        assert_eq!(v.reason(), Some("revoked"));
    }

    // A CRL that does not list this serial lets it through.
    let clean = crl(&ca, &[&[0x01, 0x02]], (2027, 1, 1));
    let store = TrustStore::from_pem(ca.pem().as_bytes())
        .unwrap()
        .with_crls(clean.der().as_ref())
        .unwrap();
    let v = ClientCertVerifier::new(Arc::new(store)).verify_at(&leaf, now());
    assert!(v.is_verified(), "{:?}", v.result);
}

#[test]
fn revoked_intermediate_fails_the_chain() {
    let root_ca = root("Root");
    let mut p = ca_params("Issuing CA");
    p.serial_number = Some(SerialNumber::from_slice(&[0x42, 0x42]));
    let int = CertifiedIssuer::signed_by(p, KeyPair::generate().unwrap(), &root_ca).unwrap();
    let chain = [issue(&client_params(), &int), int.der().clone()];
    let list = crl(&root_ca, &[&[0x42, 0x42]], (2027, 1, 1));
    let store = TrustStore::from_pem(root_ca.pem().as_bytes())
        .unwrap()
        .with_crls(list.der().as_ref())
        .unwrap();
    let v = ClientCertVerifier::new(Arc::new(store)).verify_at(&chain, now());
    assert_eq!(v.result, Err(CertError::Revoked));
}

#[test]
fn stale_crl_fails_closed_unless_told_otherwise() {
    let ca = root("Test Root");
    let leaf = [issue(&client_params(), &ca)];
    let stale = crl(&ca, &[], (2026, 3, 1));
    let store = Arc::new(
        TrustStore::from_pem(ca.pem().as_bytes())
            .unwrap()
            .with_crls(stale.der().as_ref())
            .unwrap(),
    );
    let v = ClientCertVerifier::new(store.clone()).verify_at(&leaf, now());
    assert_eq!(v.reason(), Some("revocation_unknown"));
    let lax = VerifyOptions {
        enforce_crl_expiry: false,
        ..VerifyOptions::default()
    };
    let v = ClientCertVerifier::with_options(store, lax).verify_at(&leaf, now());
    assert!(v.is_verified(), "{:?}", v.result);
}

#[test]
fn wrong_eku_and_key_usage() {
    let ca = root("Test Root");
    let v = verifier(&ca);

    let mut server_only = client_params();
    server_only.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let r = v.verify_at(&[issue(&server_only, &ca)], now());
    assert_eq!(r.result, Err(CertError::WrongExtendedKeyUsage));
    assert_eq!(r.reason(), Some("wrong_eku"));

    // No EKU at all means "any purpose" (RFC 5280), as TLS stacks treat it.
    let mut no_eku = client_params();
    no_eku.extended_key_usages.clear();
    assert!(v.verify_at(&[issue(&no_eku, &ca)], now()).is_verified());

    let mut no_sign = client_params();
    no_sign.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    let r = v.verify_at(&[issue(&no_sign, &ca)], now());
    assert_eq!(r.result, Err(CertError::WrongKeyUsage));
}

#[test]
fn intermediates_in_any_order_and_required() {
    let root_ca = root("Root");
    let int1 = intermediate("Issuing CA 1", &root_ca);
    let int2 = intermediate("Issuing CA 2", &int1);
    let leaf = issue(&client_params(), &int2);
    let v = verifier(&root_ca);

    let r = v.verify_at(
        &[leaf.clone(), int1.der().clone(), int2.der().clone()],
        now(),
    );
    assert_eq!(
        r.result,
        Ok(linkwell_validate::mtls::Verified { intermediates: 2 })
    );
    assert_eq!(
        r.facts.unwrap().details.unwrap().issuer,
        "CN=Issuing CA 2",
        "facts are the leaf's"
    );

    let r = v.verify_at(&[leaf.clone(), int2.der().clone()], now());
    assert_eq!(r.result, Err(CertError::UnknownIssuer));

    let short = VerifyOptions {
        max_intermediates: 1,
        ..VerifyOptions::default()
    };
    let store = TrustStore::from_pem(root_ca.pem().as_bytes()).unwrap();
    let r = ClientCertVerifier::with_options(Arc::new(store), short)
        .verify_at(&[leaf, int1.der().clone(), int2.der().clone()], now());
    assert_eq!(r.reason(), Some("too_complex"));
}

#[test]
fn name_constraints_are_enforced() {
    let root_ca = root("Root");
    let mut p = ca_params("Constrained CA");
    p.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("example.com".into())],
        excluded_subtrees: vec![],
    });
    let constrained =
        CertifiedIssuer::signed_by(p, KeyPair::generate().unwrap(), &root_ca).unwrap();
    let v = verifier(&root_ca);

    let mut inside = client_params();
    inside.subject_alt_names = vec![SanType::DnsName("a.example.com".try_into().unwrap())];
    let chain = [issue(&inside, &constrained), constrained.der().clone()];
    assert!(v.verify_at(&chain, now()).is_verified());

    let mut outside = client_params();
    outside.subject_alt_names = vec![SanType::DnsName("evil.test".try_into().unwrap())];
    let chain = [issue(&outside, &constrained), constrained.der().clone()];
    let r = v.verify_at(&chain, now());
    assert_eq!(r.result, Err(CertError::NameConstraintViolation));
}

#[test]
fn tampered_signature_fails() {
    let ca = root("Test Root");
    let mut der = issue(&client_params(), &ca).as_ref().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let r = verifier(&ca).verify_at(&[CertificateDer::from(der)], now());
    assert_eq!(r.result, Err(CertError::BadSignature));
}

#[test]
fn garbage_empty_and_oversized_input() {
    let ca = root("Test Root");
    let v = verifier(&ca);

    let r = v.verify_at(
        &[CertificateDer::from(b"not a certificate".to_vec())],
        now(),
    );
    assert!(
        matches!(r.result, Err(CertError::Malformed(_))),
        "{:?}",
        r.result
    );
    let facts = r.facts.unwrap();
    assert!(facts.details.is_none());
    assert_eq!(
        facts.fingerprint_sha256,
        hex(&Sha256::digest(b"not a certificate"))
    );
    assert_eq!(facts.to_client_cert(CertVerify::Failed).subject, None);

    let r = v.verify_at(&[], now());
    assert_eq!(r.result, Err(CertError::NoCertificate));
    assert_eq!(r.cert_verify(), CertVerify::None);
    assert!(r.facts.is_none());
    assert!(r.client_cert().is_none());

    let leaf = issue(&client_params(), &ca);
    let many = vec![leaf; 11];
    assert_eq!(v.verify_at(&many, now()).reason(), Some("too_complex"));
}

#[test]
fn san_list_is_capped() {
    let ca = root("Test Root");
    let mut p = client_params();
    p.subject_alt_names = (0..40)
        .map(|i| SanType::DnsName(format!("h{i}.example.com").try_into().unwrap()))
        .collect();
    let r = verifier(&ca).verify_at(&[issue(&p, &ca)], now());
    assert!(r.is_verified());
    let d = r.facts.unwrap().details.unwrap();
    assert_eq!(d.sans.len(), MAX_SANS);
    assert!(d.sans_truncated);
}

#[test]
fn trust_store_refuses_bad_material() {
    assert!(matches!(
        TrustStore::from_pem(b""),
        Err(StoreError::NoAnchors)
    ));
    assert!(matches!(
        TrustStore::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        Err(StoreError::BadAnchor { index: 0, .. })
    ));
    let ca = root("Test Root");
    let store = TrustStore::from_pem(ca.pem().as_bytes()).unwrap();
    assert_eq!(store.anchor_count(), 1);
    assert!(matches!(
        store.with_crls(b"\x30\x03\x02\x01\x00"),
        Err(StoreError::BadCrl { .. })
    ));
}

/// Deterministic mutations of a valid chain: flips, truncations, insertions.
/// None may panic, and none of the changed leaves may verify.
#[test]
fn mutated_der_never_panics_nor_verifies() {
    let root_ca = root("Root");
    let int = intermediate("Issuing CA", &root_ca);
    let leaf = issue(&client_params(), &int).as_ref().to_vec();
    let int_der = int.der().as_ref().to_vec();
    let v = verifier(&root_ca);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for i in 0..2000 {
        // Mostly the leaf; every fifth round the intermediate.
        let target = if i % 5 == 4 { &int_der } else { &leaf };
        let mut m = target.clone();
        let pos = (next() as usize) % m.len();
        match i % 4 {
            0 => m[pos] ^= 1 << (next() % 8),
            1 => m[pos] = next() as u8,
            2 => m.truncate(pos),
            _ => m.insert(pos, next() as u8),
        }
        if &m == target {
            continue;
        }
        let chain = if i % 5 == 4 {
            [CertificateDer::from(leaf.clone()), CertificateDer::from(m)]
        } else {
            [
                CertificateDer::from(m),
                CertificateDer::from(int_der.clone()),
            ]
        };
        let r = v.verify_at(&chain, now());
        assert!(!r.is_verified(), "mutation {i} at {pos} still verified");
        assert!(r.facts.is_some());
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
