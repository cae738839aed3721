//! The offline pipeline behind `linkwell scan`: inputs → ingest → inventory →
//! engine → one [`ScanOutput`].
//!
//! It is a *source* in the sense of DESIGN.md: it turns files into
//! `CallRecord`s and hands each to the same inventory and engine the live
//! sources will use. It owns no detection logic and no output format; the
//! CLI renders the result (terminal, JSON, HTML, store).
//!
//! Reading and decompression run on their own thread, handing the main
//! thread chunks of lines, so I/O overlaps with parsing and judging.

mod chunks;
mod clients;
mod config;
mod endpoint_findings;
mod pipeline;
mod timeline;

pub use config::ScanConfig;
pub use linkwell_core::scan::ScanOutput;
pub use pipeline::{CallSink, NoProgress, Progress, ScanError, ScanOptions, scan};
