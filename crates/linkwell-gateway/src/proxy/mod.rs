//! Routing and forwarding: the proxy's HTTP semantics.

pub(crate) mod body;
pub(crate) mod handler;
pub mod headers;
pub(crate) mod routes;

pub use handler::{ConnInfo, TlsInfo};
