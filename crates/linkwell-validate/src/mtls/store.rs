//! Trust anchors and CRLs, parsed once from bytes the caller read.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor};
use webpki::{CertRevocationList, OwnedCertRevocationList};

/// Why trust material could not be loaded. Loading fails loudly: a route that
/// requires mTLS must not silently run with no anchors or a dropped CRL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no trust anchors found")]
    NoAnchors,
    #[error("trust anchor #{index} is not usable: {detail}")]
    BadAnchor { index: usize, detail: String },
    #[error("CRL #{index} is not usable: {detail}")]
    BadCrl { index: usize, detail: String },
    #[error("PEM: {0}")]
    Pem(String),
}

/// Trust anchors and CRLs for one route (or one set of routes).
///
/// Immutable: reloading a CRL file means building a new store from the new
/// bytes and swapping it in.
pub struct TrustStore {
    pub(crate) anchors: Vec<TrustAnchor<'static>>,
    pub(crate) crls: Vec<CertRevocationList<'static>>,
}

impl std::fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustStore")
            .field("anchors", &self.anchors.len())
            .field("crls", &self.crls.len())
            .finish()
    }
}

impl TrustStore {
    /// Anchors from a PEM bundle (one or more `CERTIFICATE` blocks).
    pub fn from_pem(pem: &[u8]) -> Result<TrustStore, StoreError> {
        let ders = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Pem(e.to_string()))?;
        TrustStore::from_der(&ders)
    }

    /// Anchors from DER certificates.
    pub fn from_der(ders: &[CertificateDer<'_>]) -> Result<TrustStore, StoreError> {
        if ders.is_empty() {
            return Err(StoreError::NoAnchors);
        }
        let anchors = ders
            .iter()
            .enumerate()
            .map(|(index, der)| {
                webpki::anchor_from_trusted_cert(der)
                    .map(|a| a.to_owned())
                    .map_err(|e| StoreError::BadAnchor {
                        index,
                        detail: format!("{e:?}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustStore {
            anchors,
            crls: Vec::new(),
        })
    }

    /// Adds CRLs from bytes that are either PEM (`X509 CRL` blocks) or one DER
    /// CRL, so the operator can point at whatever file the CA publishes.
    pub fn with_crls(mut self, bytes: &[u8]) -> Result<TrustStore, StoreError> {
        let ders: Vec<CertificateRevocationListDer<'static>> = if looks_like_pem(bytes) {
            CertificateRevocationListDer::pem_slice_iter(bytes)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::Pem(e.to_string()))?
        } else {
            vec![CertificateRevocationListDer::from(bytes.to_vec())]
        };
        for der in ders {
            let index = self.crls.len();
            let crl = OwnedCertRevocationList::from_der(der.as_ref()).map_err(|e| {
                StoreError::BadCrl {
                    index,
                    detail: format!("{e:?}"),
                }
            })?;
            self.crls.push(CertRevocationList::from(crl));
        }
        Ok(self)
    }

    pub fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    pub fn crl_count(&self) -> usize {
        self.crls.len()
    }
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes
        .windows(b"-----BEGIN".len())
        .any(|w| w == b"-----BEGIN")
}
