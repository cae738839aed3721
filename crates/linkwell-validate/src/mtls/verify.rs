//! Path validation of a presented chain against a [`TrustStore`].

use std::sync::Arc;
use std::time::Duration;

use linkwell_core::{CertVerify, ClientCert, Timestamp};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{
    EndEntityCert, ExpirationPolicy, KeyUsage, RevocationCheckDepth, RevocationOptionsBuilder,
    UnknownStatusPolicy, VerifiedPath,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::error::CertError;
use super::facts::CertFacts;
use super::store::TrustStore;

/// A TLS peer sends a handful of certificates; anything longer is either a
/// misconfiguration or an attempt to make path building expensive, and is
/// refused before any signature is checked.
pub const MAX_PRESENTED: usize = 10;

/// Policy knobs. Defaults are the strict choices for client authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Longest accepted path: intermediates between the leaf and the anchor.
    pub max_intermediates: usize,
    /// A client proves possession of its key by signing the handshake, so a
    /// leaf whose keyUsage extension is present but lacks digitalSignature
    /// cannot legitimately authenticate (RFC 5280 §4.2.1.3). webpki leaves
    /// end-entity keyUsage alone, so this check is ours.
    pub require_digital_signature: bool,
    /// Refuse when a CRL that covers the issuer is past its nextUpdate: a
    /// stale list must not keep letting a revoked certificate in.
    pub enforce_crl_expiry: bool,
    /// Check revocation of intermediates as well as the leaf.
    pub check_intermediates_revocation: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            max_intermediates: 6,
            require_digital_signature: true,
            enforce_crl_expiry: true,
            check_intermediates_revocation: true,
        }
    }
}

/// A chain that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Intermediates on the path that was built (not the number presented).
    pub intermediates: usize,
}

/// The outcome for one presented chain, with the leaf's facts either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertVerdict {
    /// `None` only when no certificate was presented.
    pub facts: Option<CertFacts>,
    pub result: Result<Verified, CertError>,
}

impl CertVerdict {
    pub fn is_verified(&self) -> bool {
        self.result.is_ok()
    }

    /// The record's coarse status.
    pub fn cert_verify(&self) -> CertVerify {
        match (&self.facts, &self.result) {
            (None, _) => CertVerify::None,
            (Some(_), Ok(_)) => CertVerify::Success,
            (Some(_), Err(_)) => CertVerify::Failed,
        }
    }

    /// The record's `ClientCert`, `None` when nothing was presented.
    pub fn client_cert(&self) -> Option<ClientCert<'_>> {
        self.facts
            .as_ref()
            .map(|f| f.to_client_cert(self.cert_verify()))
    }

    /// Short stable reason code, `None` when verified.
    pub fn reason(&self) -> Option<&'static str> {
        self.result.as_ref().err().map(CertError::reason)
    }
}

/// Verifies presented client-certificate chains against one trust store.
///
/// Cheap to clone (the store is shared); build a new one with a new store to
/// reload anchors or CRLs.
#[derive(Debug, Clone)]
pub struct ClientCertVerifier {
    store: Arc<TrustStore>,
    options: VerifyOptions,
}

impl ClientCertVerifier {
    pub fn new(store: Arc<TrustStore>) -> Self {
        ClientCertVerifier {
            store,
            options: VerifyOptions::default(),
        }
    }

    pub fn with_options(store: Arc<TrustStore>, options: VerifyOptions) -> Self {
        ClientCertVerifier { store, options }
    }

    pub fn options(&self) -> &VerifyOptions {
        &self.options
    }

    /// Verifies `chain` (leaf first, then whatever intermediates the client
    /// sent, in any order) for client authentication at `now`.
    pub fn verify(&self, chain: &[CertificateDer<'_>], now: UnixTime) -> CertVerdict {
        self.run(chain, now, Purpose::Client)
    }

    /// [`Self::verify`] with the engine's clock type; times before the epoch
    /// clamp to the epoch.
    pub fn verify_at(&self, chain: &[CertificateDer<'_>], now: Timestamp) -> CertVerdict {
        self.verify(chain, unix_time(now))
    }

    /// Verifies `chain` as a TLS server certificate for `name`. Not used for
    /// client authentication; it exists so the conformance suite (mostly
    /// server-kind cases) runs the same path builder, options and error
    /// mapping as the client path. `None` skips the name check.
    pub fn verify_server(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
        name: Option<&ServerName<'_>>,
    ) -> CertVerdict {
        self.run(chain, now, Purpose::Server(name))
    }

    fn run(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
        purpose: Purpose<'_>,
    ) -> CertVerdict {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return CertVerdict {
                facts: None,
                result: Err(CertError::NoCertificate),
            };
        };
        let facts = CertFacts::from_der(leaf.as_ref());
        let result = if chain.len() > MAX_PRESENTED {
            Err(CertError::TooComplex(format!(
                "{} certificates presented, at most {MAX_PRESENTED} accepted",
                chain.len()
            )))
        } else {
            self.path(leaf, intermediates, now, purpose)
        };
        CertVerdict {
            facts: Some(facts),
            result,
        }
    }

    fn path(
        &self,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        purpose: Purpose<'_>,
    ) -> Result<Verified, CertError> {
        let ee = EndEntityCert::try_from(leaf).map_err(CertError::from)?;
        let crl_refs: Vec<_> = self.store.crls.iter().collect();
        let revocation = match RevocationOptionsBuilder::new(&crl_refs) {
            Ok(b) => Some(
                b.with_depth(if self.options.check_intermediates_revocation {
                    RevocationCheckDepth::Chain
                } else {
                    RevocationCheckDepth::EndEntity
                })
                // CRLs are optional per route: an issuer the operator has no
                // CRL for is judged by the chain alone.
                .with_status_policy(UnknownStatusPolicy::Allow)
                .with_expiration_policy(if self.options.enforce_crl_expiry {
                    ExpirationPolicy::Enforce
                } else {
                    ExpirationPolicy::Ignore
                })
                .build(),
            ),
            Err(_) => None,
        };
        let max = self.options.max_intermediates;
        let depth_ok = move |p: &VerifiedPath<'_>| {
            if p.intermediate_certificates().count() > max {
                Err(webpki::Error::MaximumPathDepthExceeded)
            } else {
                Ok(())
            }
        };
        let usage = match purpose {
            Purpose::Client => KeyUsage::client_auth(),
            Purpose::Server(_) => KeyUsage::server_auth(),
        };
        let path = ee
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &self.store.anchors,
                intermediates,
                now,
                usage,
                revocation,
                Some(&depth_ok),
            )
            .map_err(CertError::from)?;
        let verified = Verified {
            intermediates: path.intermediate_certificates().count(),
        };
        if self.options.require_digital_signature {
            check_digital_signature(leaf.as_ref())?;
        }
        if let Purpose::Server(Some(name)) = purpose {
            ee.verify_is_valid_for_subject_name(name)
                .map_err(CertError::from)?;
        }
        Ok(verified)
    }
}

#[derive(Clone, Copy)]
enum Purpose<'a> {
    Client,
    Server(Option<&'a ServerName<'a>>),
}

fn check_digital_signature(der: &[u8]) -> Result<(), CertError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| CertError::Malformed(format!("x509: {e}")))?;
    match cert.key_usage() {
        Ok(None) => Ok(()),
        Ok(Some(ku)) if ku.value.digital_signature() => Ok(()),
        Ok(Some(_)) => Err(CertError::WrongKeyUsage),
        Err(e) => Err(CertError::Malformed(format!("keyUsage: {e}"))),
    }
}

fn unix_time(t: Timestamp) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(t.secs()).unwrap_or(0)))
}
