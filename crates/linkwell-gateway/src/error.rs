//! What can stop the gateway from starting or reloading. Per-call problems
//! are not errors here: they become answers (4xx/5xx) and audit records.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("{path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error("TLS configuration: {0}")]
    Tls(rustls::Error),
    #[error("route '{route}': {detail}")]
    Route { route: String, detail: String },
    #[error("upstream '{upstream}': {detail}")]
    Upstream { upstream: String, detail: String },
    #[error("issuer '{issuer}': {detail}")]
    Issuer { issuer: String, detail: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("audit trail: {0}")]
    Audit(#[from] linkwell_audit::AuditError),
}

impl GatewayError {
    pub(crate) fn file(path: &Path, detail: impl std::fmt::Display) -> GatewayError {
        GatewayError::File {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }

    pub(crate) fn route(route: &str, detail: impl std::fmt::Display) -> GatewayError {
        GatewayError::Route {
            route: route.to_string(),
            detail: detail.to_string(),
        }
    }
}
