//! Shared helpers for the integration tests and benches.

pub(crate) mod mmdb;
