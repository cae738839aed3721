//! Verification of what a caller presents on the wire, starting with client
//! certificates (mTLS).
//!
//! No I/O: callers hand in bytes (PEM/DER read by the binary or the proxy) and
//! a time; the crate hands back verdicts and facts for the `CallRecord`. That
//! keeps the verifier usable from the proxy, the gateway hooks and the
//! conformance harness alike, and deterministic under test.

pub mod mtls;
