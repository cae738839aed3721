//! Why a chain did not verify, in terms an operator and the record can use.

use linkwell_core::Timestamp;

/// The reason a presented chain was rejected.
///
/// webpki's error set is fine-grained and partly about its own internals; the
/// record and the audit trail need a stable, small vocabulary
/// ([`CertError::reason`]) that dashboards and acceptance tests can match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    #[error("no client certificate was presented")]
    NoCertificate,
    #[error("certificate is malformed: {0}")]
    Malformed(String),
    #[error("certificate expired at {not_after}")]
    Expired { not_after: Timestamp },
    #[error("certificate is not valid before {not_before}")]
    NotYetValid { not_before: Timestamp },
    #[error("no path to a trusted issuer")]
    UnknownIssuer,
    #[error("certificate is revoked")]
    Revoked,
    /// A CRL that should decide the status is unusable (expired, unsupported
    /// shape). Failing closed: a stale CRL must not let a revoked cert in.
    #[error("revocation status could not be determined: {0}")]
    RevocationUnknown(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("signature algorithm not supported")]
    UnsupportedAlgorithm,
    #[error("extended key usage does not allow this use (client auth required)")]
    WrongExtendedKeyUsage,
    #[error("key usage does not allow digital signatures")]
    WrongKeyUsage,
    #[error("a name is outside an issuer's name constraints")]
    NameConstraintViolation,
    /// CA used as a leaf, leaf used as a CA, path length exceeded.
    #[error("basic constraints violated: {0}")]
    BasicConstraints(String),
    #[error("certificate has an unsupported critical extension")]
    UnsupportedCriticalExtension,
    #[error("certificate is explicitly distrusted")]
    Distrusted,
    /// Path building hit a budget (depth, signature checks, name comparisons):
    /// the chain is too deep or built to exhaust the verifier.
    #[error("chain too long or too complex: {0}")]
    TooComplex(String),
    /// Only for server-name checks (conformance harness).
    #[error("certificate is not valid for the expected name")]
    NameMismatch,
    #[error("verification failed: {0}")]
    Other(String),
}

impl CertError {
    /// Short stable code for the call record and the audit trail.
    pub fn reason(&self) -> &'static str {
        match self {
            CertError::NoCertificate => "no_certificate",
            CertError::Malformed(_) => "malformed",
            CertError::Expired { .. } => "expired",
            CertError::NotYetValid { .. } => "not_yet_valid",
            CertError::UnknownIssuer => "unknown_issuer",
            CertError::Revoked => "revoked",
            CertError::RevocationUnknown(_) => "revocation_unknown",
            CertError::BadSignature => "bad_signature",
            CertError::UnsupportedAlgorithm => "unsupported_algorithm",
            CertError::WrongExtendedKeyUsage => "wrong_eku",
            CertError::WrongKeyUsage => "wrong_key_usage",
            CertError::NameConstraintViolation => "name_constraint_violation",
            CertError::BasicConstraints(_) => "basic_constraints",
            CertError::UnsupportedCriticalExtension => "unsupported_critical_extension",
            CertError::Distrusted => "distrusted",
            CertError::TooComplex(_) => "too_complex",
            CertError::NameMismatch => "name_mismatch",
            CertError::Other(_) => "other",
        }
    }
}

fn ts(t: rustls_pki_types::UnixTime) -> Timestamp {
    Timestamp::from_secs(i64::try_from(t.as_secs()).unwrap_or(i64::MAX))
}

impl From<webpki::Error> for CertError {
    fn from(e: webpki::Error) -> Self {
        use webpki::Error as E;
        #[allow(deprecated)]
        match e {
            E::CertExpired { not_after, .. } => CertError::Expired {
                not_after: ts(not_after),
            },
            E::CertNotValidYet { not_before, .. } => CertError::NotYetValid {
                not_before: ts(not_before),
            },
            E::UnknownIssuer => CertError::UnknownIssuer,
            E::CertRevoked => CertError::Revoked,
            E::UnknownRevocationStatus
            | E::CrlExpired { .. }
            | E::IssuerNotCrlSigner
            | E::InvalidCrlNumber
            | E::UnsupportedCrlVersion
            | E::UnsupportedDeltaCrl
            | E::UnsupportedIndirectCrl
            | E::UnsupportedRevocationReason
            | E::UnsupportedRevocationReasonsPartitioning
            | E::UnsupportedCrlIssuingDistributionPoint
            | E::InvalidCrlSignatureForPublicKey
            | E::UnsupportedCrlSignatureAlgorithm
            | E::UnsupportedCrlSignatureAlgorithmContext(_)
            | E::UnsupportedCrlSignatureAlgorithmForPublicKey
            | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_) => {
                CertError::RevocationUnknown(format!("{e:?}"))
            }
            E::InvalidSignatureForPublicKey | E::SignatureAlgorithmMismatch => {
                CertError::BadSignature
            }
            E::UnsupportedSignatureAlgorithm
            | E::UnsupportedSignatureAlgorithmContext(_)
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                CertError::UnsupportedAlgorithm
            }
            E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
                CertError::WrongExtendedKeyUsage
            }
            E::NameConstraintViolation => CertError::NameConstraintViolation,
            E::CaUsedAsEndEntity => CertError::BasicConstraints("CA used as end entity".into()),
            E::EndEntityUsedAsCa => CertError::BasicConstraints("end entity used as CA".into()),
            E::PathLenConstraintViolated => {
                CertError::BasicConstraints("path length constraint".into())
            }
            E::UnsupportedCriticalExtension => CertError::UnsupportedCriticalExtension,
            E::CertDistrusted => CertError::Distrusted,
            E::MaximumPathDepthExceeded
            | E::MaximumPathBuildCallsExceeded
            | E::MaximumSignatureChecksExceeded
            | E::MaximumNameConstraintComparisonsExceeded => {
                CertError::TooComplex(format!("{e:?}"))
            }
            E::CertNotValidForName(_) | E::UnsupportedNameType => CertError::NameMismatch,
            E::BadDer
            | E::BadDerTime
            | E::TrailingData(_)
            | E::MalformedExtensions
            | E::ExtensionValueInvalid
            | E::InvalidCertValidity
            | E::InvalidSerialNumber
            | E::MalformedDnsIdentifier
            | E::MalformedNameConstraint
            | E::InvalidNetworkMaskConstraint
            | E::UnsupportedCertVersion => CertError::Malformed(format!("{e:?}")),
            other => CertError::Other(format!("{other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use rustls_pki_types::UnixTime;

    use super::*;

    #[test]
    fn webpki_errors_map_to_meaningful_reasons() {
        use webpki::Error as E;
        let t = |s| UnixTime::since_unix_epoch(Duration::from_secs(s));
        let cases = [
            (
                E::CertExpired {
                    time: t(200),
                    not_after: t(100),
                },
                "expired",
            ),
            (
                E::CertNotValidYet {
                    time: t(100),
                    not_before: t(200),
                },
                "not_yet_valid",
            ),
            (E::UnknownIssuer, "unknown_issuer"),
            (E::CertRevoked, "revoked"),
            (
                E::CrlExpired {
                    time: t(200),
                    next_update: t(100),
                },
                "revocation_unknown",
            ),
            (E::InvalidSignatureForPublicKey, "bad_signature"),
            (E::EmptyEkuExtension, "wrong_eku"),
            (E::NameConstraintViolation, "name_constraint_violation"),
            (E::CaUsedAsEndEntity, "basic_constraints"),
            (E::PathLenConstraintViolated, "basic_constraints"),
            (E::MaximumSignatureChecksExceeded, "too_complex"),
            (E::BadDer, "malformed"),
            (
                E::UnsupportedCriticalExtension,
                "unsupported_critical_extension",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(CertError::from(e.clone()).reason(), want, "{e:?}");
        }
        let expired = CertError::from(E::CertExpired {
            time: t(200),
            not_after: t(100),
        });
        assert_eq!(
            expired,
            CertError::Expired {
                not_after: Timestamp::from_secs(100)
            }
        );
    }

    #[test]
    fn reason_codes_are_distinct() {
        let all = [
            CertError::NoCertificate,
            CertError::Malformed(String::new()),
            CertError::Expired {
                not_after: Timestamp(0),
            },
            CertError::NotYetValid {
                not_before: Timestamp(0),
            },
            CertError::UnknownIssuer,
            CertError::Revoked,
            CertError::RevocationUnknown(String::new()),
            CertError::BadSignature,
            CertError::UnsupportedAlgorithm,
            CertError::WrongExtendedKeyUsage,
            CertError::WrongKeyUsage,
            CertError::NameConstraintViolation,
            CertError::BasicConstraints(String::new()),
            CertError::UnsupportedCriticalExtension,
            CertError::Distrusted,
            CertError::TooComplex(String::new()),
            CertError::NameMismatch,
            CertError::Other(String::new()),
        ];
        let codes: BTreeSet<_> = all.iter().map(CertError::reason).collect();
        assert_eq!(codes.len(), all.len());
    }
}
