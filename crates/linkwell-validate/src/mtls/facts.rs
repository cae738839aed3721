//! Facts about a presented certificate, taken for every call whether or not
//! the chain verified: a failed verification is exactly when an operator most
//! needs to know who knocked.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;

use linkwell_core::{CertVerify, ClientCert, Timestamp};
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// SAN lists are attacker-sized; the record keeps the first few.
pub const MAX_SANS: usize = 32;
/// Longest name string kept in the record (subject, issuer, one SAN).
pub const MAX_NAME_CHARS: usize = 1024;

/// What can always be said about a presented leaf, plus what parsing found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// Lower-case hex SHA-256 of the DER bytes exactly as presented; available
    /// even for garbage, so repeat offenders can be grouped.
    pub fingerprint_sha256: String,
    /// `None` when the bytes do not parse as an X.509 certificate.
    pub details: Option<CertDetails>,
}

/// Parsed identity fields of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertDetails {
    /// RFC 4514-style distinguished name.
    pub subject: String,
    pub issuer: String,
    /// Lower-case hex of the serial's DER content bytes.
    pub serial_hex: String,
    pub sans: Vec<SubjectAltName>,
    /// `true` when more than [`MAX_SANS`] names were present.
    pub sans_truncated: bool,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// The subject alternative names a record can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectAltName {
    Dns(String),
    Uri(String),
    Email(String),
    Ip(IpAddr),
}

impl CertFacts {
    /// Never fails: unparseable bytes give facts with only the fingerprint.
    pub fn from_der(der: &[u8]) -> CertFacts {
        let fingerprint_sha256 = hex(&Sha256::digest(der));
        let details = match X509Certificate::from_der(der) {
            Ok((_, cert)) => Some(details(&cert)),
            Err(_) => None,
        };
        CertFacts {
            fingerprint_sha256,
            details,
        }
    }

    /// The first URI SAN: SPIFFE IDs and similar workload identities live there.
    pub fn uri_san(&self) -> Option<&str> {
        self.details.as_ref()?.sans.iter().find_map(|s| match s {
            SubjectAltName::Uri(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// The core record's view, borrowing from these facts.
    pub fn to_client_cert(&self, verify: CertVerify) -> ClientCert<'_> {
        let d = self.details.as_ref();
        ClientCert {
            verify,
            subject: d.map(|d| Cow::Borrowed(d.subject.as_str())),
            issuer: d.map(|d| Cow::Borrowed(d.issuer.as_str())),
            serial: d.map(|d| Cow::Borrowed(d.serial_hex.as_str())),
            uri_san: self.uri_san().map(Cow::Borrowed),
            fingerprint_sha256: Some(Cow::Borrowed(self.fingerprint_sha256.as_str())),
            fingerprint_sha1: None,
            not_after: d.map(|d| Cow::Owned(d.not_after.to_string())),
            reason: None,
        }
    }
}

fn details(cert: &X509Certificate<'_>) -> CertDetails {
    let mut sans = Vec::new();
    let mut sans_truncated = false;
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            let san = match name {
                GeneralName::DNSName(s) => SubjectAltName::Dns(cap(s)),
                GeneralName::URI(s) => SubjectAltName::Uri(cap(s)),
                GeneralName::RFC822Name(s) => SubjectAltName::Email(cap(s)),
                GeneralName::IPAddress(b) => match ip(b) {
                    Some(a) => SubjectAltName::Ip(a),
                    None => continue,
                },
                _ => continue,
            };
            if sans.len() == MAX_SANS {
                sans_truncated = true;
                break;
            }
            sans.push(san);
        }
    }
    CertDetails {
        subject: cap(&cert.subject().to_string()),
        issuer: cap(&cert.issuer().to_string()),
        serial_hex: hex(cert.raw_serial()),
        sans,
        sans_truncated,
        not_before: Timestamp::from_secs(cert.validity().not_before.timestamp()),
        not_after: Timestamp::from_secs(cert.validity().not_after.timestamp()),
    }
}

fn ip(b: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(b) {
        Some(IpAddr::from(v4))
    } else if let Ok(v6) = <[u8; 16]>::try_from(b) {
        Some(IpAddr::from(v6))
    } else {
        None
    }
}

fn cap(s: &str) -> String {
    s.chars().take(MAX_NAME_CHARS).collect()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
