//! Client-certificate chain verification (rustls-webpki) and the facts about a
//! presented certificate that go into the call record, verified or not.
//!
//! Reloading trust material (a rotated CA bundle, a fresh CRL) means building a
//! new [`TrustStore`] and swapping the `Arc` in the caller: verifiers are
//! immutable, so a verification never sees half-updated anchors.

mod error;
mod facts;
mod store;
mod verify;

pub use error::CertError;
pub use facts::{CertDetails, CertFacts, MAX_NAME_CHARS, MAX_SANS, SubjectAltName};
pub use store::{StoreError, TrustStore};
pub use verify::{CertVerdict, ClientCertVerifier, MAX_PRESENTED, Verified, VerifyOptions};

pub use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
