//! OpenAPI: what the bank says its APIs are, compared with what traffic shows.
//!
//! Specs are read into a small model of our own rather than a typed OpenAPI
//! crate, because real inventories mix 3.0 and 3.1 documents and the typed
//! crates each cover only one of them; all the inventory needs is paths,
//! methods, servers, deprecation and whether security is required.

mod classify;
mod export;
mod load;

use std::path::PathBuf;

pub use classify::classify;
pub use export::export;
pub use load::{load, load_file};

/// One parsed specification.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spec {
    pub title: String,
    /// `info.version`: the API's version, not the OpenAPI version.
    pub version: String,
    /// The `openapi` field (`3.0.3`, `3.1.0`).
    pub openapi: String,
    /// Document-level servers.
    pub servers: Vec<Server>,
    pub operations: Vec<Operation>,
}

/// A server URL reduced to what matching needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Server {
    /// The URL with server variables replaced by their defaults.
    pub url: String,
    /// Normalised host when the URL is absolute.
    pub host: Option<String>,
    /// Path prefix without a trailing slash (`/v1`), or empty.
    pub base_path: String,
}

/// One operation (method + path) of a spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Operation {
    /// Upper case (`GET`).
    pub method: String,
    /// The path as written in the spec (`/accounts/{accountId}`).
    pub path: String,
    pub deprecated: bool,
    pub operation_id: Option<String>,
    /// Whether a non-empty security requirement applies (operation-level,
    /// else document-level).
    pub security: bool,
    pub parameters: Vec<Parameter>,
    /// The servers that apply: operation-level, else path-level, else the
    /// document's.
    pub servers: Vec<Server>,
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parameter {
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    pub required: bool,
}

/// Why a document could not be used.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the document is empty")]
    Empty,
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not valid YAML or JSON: {0}")]
    Yaml(#[from] yaml_serde::Error),
    #[error("not an OpenAPI document: {0}")]
    NotOpenApi(String),
    #[error("Swagger {0} is not supported; convert to OpenAPI 3 (e.g. with swagger2openapi)")]
    Swagger2(String),
    #[error("OpenAPI {0} is not supported; use OpenAPI 3.0.x or 3.1.x")]
    UnsupportedVersion(String),
    #[error("the document has no `paths` object, so it describes no operations")]
    MissingPaths,
    #[error("invalid OpenAPI document: {0}")]
    Invalid(String),
}
