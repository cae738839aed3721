//! OAuth 2.0 / JWT bearer-token verification for Linkwell's inline mode.
//!
//! Pure logic: the JWKS arrives as bytes, time as an argument, introspection
//! through a trait the gateway implements. Fetching (HTTPS, file watch,
//! refetch on unknown `kid`) belongs to the gateway; this crate reports
//! [`JwtError::KeyNotFound`] so it knows when to refetch, and [`RefetchGate`]
//! rate-limits those refetches.
//!
//! Crypto backend: `ring` (RSA PKCS#1 v1.5 and PSS, ECDSA P-256/P-384 with
//! fixed-size JOSE signatures, Ed25519, HMAC with constant-time compare). One
//! audited backend for every family instead of five RustCrypto crates, it
//! builds offline with the system C compiler, and it refuses RSA keys under
//! 2048 bits by construction. See `docs/jwt.md`.

mod alg;
mod b64;
mod claims;
mod error;
mod json;
mod jwk;
mod jws;
mod policy;
mod revocation;
mod verify;

pub use alg::{Alg, AlgSet, KeyFamily};
pub use b64::encode as b64url_encode;
pub use claims::Claims;
pub use error::{JwksError, JwtError, PolicyError};
pub use jwk::{Jwk, Jwks, MAX_JWKS_BYTES, MAX_KEYS, RefetchGate, SkipReason};
pub use jws::{MAX_JSON_DEPTH, MAX_TOKEN_BYTES, VerifiedJws, verify_compact};
pub use policy::{MAX_LEEWAY_SECS, Policy};
pub use revocation::{DenyList, Introspect, Introspection, IntrospectionCache};
pub use verify::{
    SignedToken, VerifyContext, check_claims, verify, verify_introspected, verify_signature,
};

/// The `x5t#S256` of a DER certificate (RFC 8705 §3.1), for the gateway to
/// put in [`VerifyContext::client_cert_x5t_s256`].
pub fn cert_thumbprint(der: &[u8]) -> String {
    b64::encode(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}
