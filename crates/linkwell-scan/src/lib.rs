//! The offline pipeline behind `linkwell scan`: inputs → ingest → inventory →
//! engine → one [`ScanOutput`].
//!
//! It is a *source* in the sense of DESIGN.md: it turns files into
//! `CallRecord`s and hands each to the same inventory and engine the live
//! sources will use. It owns no detection logic and no output format; the
//! CLI renders the result (terminal, JSON, HTML, store).
//!
//! Reading and parsing run on threads of their own (see `parallel`); the
//! main thread sees every call in input order, so results are the same as a
//! single-threaded run.

mod clients;
mod config;
mod endpoint_findings;
mod enrich;
pub mod latency;
mod parallel;
mod pipeline;
mod timeline;

pub use config::ScanConfig;
pub use enrich::load_enricher;
pub use linkwell_core::scan::ScanOutput;
pub use pipeline::{CallSink, NoProgress, Progress, ScanError, ScanOptions, scan};
