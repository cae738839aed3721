//! Cost of one client-certificate verification on the inline path: a
//! leaf + intermediate presented, root trusted, ECDSA P-256 throughout,
//! with and without a CRL; and facts extraction alone (done for every call).
//!
//! `cargo bench -p linkwell-validate --bench verify`

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use linkwell_core::Timestamp;
use linkwell_validate::mtls::{CertFacts, CertificateDer, ClientCertVerifier, TrustStore};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams,
    SanType, SerialNumber, date_time_ymd,
};

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2020, 1, 1);
    p.not_after = date_time_ymd(2040, 1, 1);
    p
}

fn verify(c: &mut Criterion) {
    let root =
        CertifiedIssuer::self_signed(ca_params("Root"), KeyPair::generate().unwrap()).unwrap();
    let int = CertifiedIssuer::signed_by(ca_params("Issuing"), KeyPair::generate().unwrap(), &root)
        .unwrap();
    let mut p = CertificateParams::new(vec!["client-1.example.com".to_string()]).unwrap();
    p.subject_alt_names.push(SanType::URI(
        "spiffe://linkwell.test/ns/pay/sa/client-1"
            .try_into()
            .unwrap(),
    ));
    p.distinguished_name.push(DnType::CommonName, "client-1");
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(2027, 1, 1);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let leaf = p.signed_by(&KeyPair::generate().unwrap(), &int).unwrap();
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone(), int.der().clone()];
    let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();

    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 1, 1),
        next_update: date_time_ymd(2027, 1, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: (0u64..100)
            .map(|i| RevokedCertParams {
                serial_number: SerialNumber::from(1000 + i),
                revocation_time: date_time_ymd(2026, 2, 1),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&int)
    .unwrap();

    let plain = ClientCertVerifier::new(Arc::new(
        TrustStore::from_pem(root.pem().as_bytes()).unwrap(),
    ));
    let with_crl = ClientCertVerifier::new(Arc::new(
        TrustStore::from_pem(root.pem().as_bytes())
            .unwrap()
            .with_crls(crl.der().as_ref())
            .unwrap(),
    ));
    assert!(plain.verify_at(&chain, now).is_verified());
    assert!(with_crl.verify_at(&chain, now).is_verified());

    let mut g = c.benchmark_group("mtls");
    g.bench_function("verify_3_cert_chain", |b| {
        b.iter(|| black_box(plain.verify_at(black_box(&chain), now)))
    });
    g.bench_function("verify_3_cert_chain_crl100", |b| {
        b.iter(|| black_box(with_crl.verify_at(black_box(&chain), now)))
    });
    g.bench_function("facts_only", |b| {
        b.iter(|| black_box(CertFacts::from_der(black_box(chain[0].as_ref()))))
    });
    g.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
