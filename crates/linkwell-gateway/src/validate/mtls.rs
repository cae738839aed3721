//! Per-route client-certificate verification, reusing linkwell-validate's
//! path builder (the same one the x509-limbo harness scores).
//!
//! Verification costs a few hundred microseconds; a keep-alive connection
//! or a returning client presents the same chain again and again, so the
//! outcome is memoised per (leaf fingerprint, trust generation) for a
//! minute. Trust anchors and CRLs are files re-read when they change, at
//! most once a second; a reload that fails keeps the previous trust.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use linkwell_core::CertVerify;
use linkwell_validate::mtls::{CertFacts, ClientCertVerifier, TrustStore, UnixTime};
use rustls::pki_types::CertificateDer;

use crate::config::{MtlsConfig, MtlsMode};
use crate::error::GatewayError;

/// How long a verdict for one chain is reused.
const MEMO_TTL: Duration = Duration::from_secs(60);
/// Most chains remembered per route; beyond it the memo starts over.
const MEMO_MAX: usize = 10_000;

/// What a client presented on its connection, parsed once per connection.
#[derive(Debug)]
pub struct PeerChain {
    pub certs: Vec<CertificateDer<'static>>,
    /// SHA-256 of the leaf's DER.
    pub sha256: [u8; 32],
    /// The RFC 8705 `x5t#S256` of the leaf (base64url).
    pub x5t_s256: String,
    pub facts: CertFacts,
}

impl PeerChain {
    pub fn new(certs: Vec<CertificateDer<'static>>) -> Option<PeerChain> {
        let leaf = certs.first()?;
        let digest = ring::digest::digest(&ring::digest::SHA256, leaf.as_ref());
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(digest.as_ref());
        Some(PeerChain {
            x5t_s256: linkwell_jwt::b64url_encode(&sha256),
            facts: CertFacts::from_der(leaf.as_ref()),
            sha256,
            certs,
        })
    }
}

/// The verdict on one call's client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtlsOutcome {
    pub verify: CertVerify,
    /// Stable reason code when not verified (`expired`, `unknown_issuer`,
    /// `revoked`, `wrong_eku`, `no_certificate`, ...).
    pub reason: Option<&'static str>,
    /// False only on a `required` route without a verified certificate.
    pub allowed: bool,
}

/// A verdict with the trust generation it was reached under and when.
type Memo = (u64, Instant, Arc<MtlsOutcome>);

struct Trust {
    verifier: ClientCertVerifier,
    stamps: Vec<Option<SystemTime>>,
    generation: u64,
}

pub(crate) struct MtlsPolicy {
    mode: MtlsMode,
    files: Vec<PathBuf>,
    trust: ArcSwap<Trust>,
    last_check_ms: AtomicU64,
    started: Instant,
    memo: Mutex<HashMap<[u8; 32], Memo>>,
}

fn stamp(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn load(trust: &Path, crls: &[PathBuf], generation: u64) -> Result<Trust, GatewayError> {
    let pem = std::fs::read(trust).map_err(|e| GatewayError::file(trust, e))?;
    let mut store = TrustStore::from_pem(&pem).map_err(|e| GatewayError::file(trust, e))?;
    for crl in crls {
        let bytes = std::fs::read(crl).map_err(|e| GatewayError::file(crl, e))?;
        store = store
            .with_crls(&bytes)
            .map_err(|e| GatewayError::file(crl, e))?;
    }
    let mut stamps = vec![stamp(trust)];
    stamps.extend(crls.iter().map(|c| stamp(c)));
    Ok(Trust {
        verifier: ClientCertVerifier::new(Arc::new(store)),
        stamps,
        generation,
    })
}

impl MtlsPolicy {
    pub(crate) fn new(cfg: &MtlsConfig) -> Result<MtlsPolicy, GatewayError> {
        let trust = load(&cfg.trust, &cfg.crls, 0)?;
        let mut files = vec![cfg.trust.clone()];
        files.extend(cfg.crls.iter().cloned());
        Ok(MtlsPolicy {
            mode: cfg.mode,
            files,
            trust: ArcSwap::from_pointee(trust),
            last_check_ms: AtomicU64::new(0),
            started: Instant::now(),
            memo: Mutex::new(HashMap::new()),
        })
    }

    /// Re-reads the trust files if any changed since they were loaded.
    /// Returns whether new trust is in force; on error the old stays.
    pub(crate) fn reload_if_changed(&self) -> Result<bool, GatewayError> {
        let current = self.trust.load();
        let now: Vec<_> = self.files.iter().map(|f| stamp(f)).collect();
        if now == current.stamps {
            return Ok(false);
        }
        let next = load(&self.files[0], &self.files[1..], current.generation + 1)?;
        self.trust.store(Arc::new(next));
        Ok(true)
    }

    fn maybe_reload(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        let last = self.last_check_ms.load(Ordering::Relaxed);
        if ms.saturating_sub(last) >= 1000
            && self
                .last_check_ms
                .compare_exchange(last, ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // A broken new file keeps the old trust; the next change retries.
            let _ = self.reload_if_changed();
        }
    }

    pub(crate) fn check(&self, peer: Option<&PeerChain>) -> Arc<MtlsOutcome> {
        let required = self.mode == MtlsMode::Required;
        let Some(peer) = peer else {
            return Arc::new(MtlsOutcome {
                verify: CertVerify::None,
                reason: required.then_some("no_certificate"),
                allowed: !required,
            });
        };
        if self.mode == MtlsMode::Off {
            return Arc::new(MtlsOutcome {
                verify: CertVerify::Unknown,
                reason: None,
                allowed: true,
            });
        }
        self.maybe_reload();
        let trust = self.trust.load();
        let fresh = Instant::now();
        if let Ok(memo) = self.memo.lock()
            && let Some((g, at, outcome)) = memo.get(&peer.sha256)
            && *g == trust.generation
            && fresh.duration_since(*at) < MEMO_TTL
        {
            return outcome.clone();
        }
        let verdict = trust.verifier.verify(&peer.certs, UnixTime::now());
        let outcome = Arc::new(MtlsOutcome {
            verify: verdict.cert_verify(),
            reason: verdict.reason(),
            allowed: verdict.is_verified() || !required,
        });
        if let Ok(mut memo) = self.memo.lock() {
            if memo.len() >= MEMO_MAX {
                memo.clear();
            }
            memo.insert(peer.sha256, (trust.generation, fresh, outcome.clone()));
        }
        outcome
    }
}
