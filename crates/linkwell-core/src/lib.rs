//! The vocabulary every other Linkwell crate speaks.
//!
//! A call that arrives from a proxy, a gateway hook or a log line becomes one
//! [`CallRecord`]; the engine answers it with a [`Verdict`] made of [`Finding`]s.
//! Keeping these shapes in one dependency-free crate is what lets every source
//! be judged by the same code (see `docs/architecture.md`).
//!
//! This crate does no I/O. Parsers borrow from their input (`CallRecord<'a>`),
//! and only what must outlive the input is turned into an owned record.

pub mod call;
pub mod endpoint;
pub mod finding;
pub mod ip;
pub mod pct;
pub mod scan;
pub mod sensitive;
pub mod sketch;
pub mod time;

pub use call::{
    AuthScheme, AuthSchemes, CallRecord, CertVerify, ClientCert, Direction, Identity, Method,
    SourceFormat, SourceRef, Tls,
};
pub use endpoint::{Classification, EndpointKey, EndpointSummary, Quantiles, StatusMix};
pub use finding::{
    Action, ClientRef, Evidence, Finding, FindingKind, Owasp, Risk, Severity, Verdict,
};
pub use time::Timestamp;
