//! TLS on both sides of the proxy.
//!
//! The listener asks every client for a certificate but does not judge the
//! chain during the handshake: it only checks the handshake signature (the
//! client holds the key of the certificate it sent) and keeps the chain.
//! Chain verification happens per route ([`crate::validate::mtls`]) so
//! that every call is recorded with its certificate verdict — an expired or
//! unknown-CA certificate becomes a refused *call* with a reason in the
//! audit trail, not an anonymous handshake failure.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

use crate::config::ServerTlsConfig;
use crate::error::GatewayError;

/// The one crypto provider of the process (ring), so a later rustls that
/// requires an explicit provider changes this function only.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, GatewayError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| GatewayError::file(path, e))?;
    if certs.is_empty() {
        return Err(GatewayError::file(path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, GatewayError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| GatewayError::file(path, e))
}

/// The listener's rustls config: TLS 1.2 and 1.3 only, ALPN `h2` and
/// `http/1.1`, client certificates requested and recorded.
pub fn server_config(cfg: &ServerTlsConfig) -> Result<Arc<rustls::ServerConfig>, GatewayError> {
    let provider = provider();
    let chain = read_certs(&cfg.cert)?;
    let key = read_key(&cfg.key)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(GatewayError::Tls)?;
    let builder = if cfg.request_client_cert {
        let mut hints = Vec::new();
        if let Some(ca) = &cfg.client_ca {
            let mut roots = rustls::RootCertStore::empty();
            for c in read_certs(ca)? {
                roots.add(c).map_err(GatewayError::Tls)?;
            }
            hints = roots.subjects();
        }
        builder.with_client_cert_verifier(Arc::new(RecordClientCert {
            hints,
            algs: provider.signature_verification_algorithms,
        }))
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(GatewayError::Tls)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts any presented chain at the TLS layer, after checking that the
/// client signed the handshake with the certificate's key. Optional: a
/// client without a certificate still connects (the route decides).
#[derive(Debug)]
struct RecordClientCert {
    hints: Vec<DistinguishedName>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for RecordClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The rustls config towards an `https` upstream: its certificate is
/// verified against `ca` (the upstream's private CA).
pub(crate) fn upstream_client_config(ca: &Path) -> Result<Arc<rustls::ClientConfig>, GatewayError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in read_certs(ca)? {
        roots.add(c).map_err(GatewayError::Tls)?;
    }
    // No ALPN here: the HTTPS connector sets it from the HTTP versions it
    // enables.
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(GatewayError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}
