use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode audit event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("key file {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("the audit log in {dir} cannot be continued: {reason}")]
    Corrupt { dir: PathBuf, reason: String },
    #[error("another process has the audit log in {0} open for writing")]
    Locked(PathBuf),
    #[error("the audit writer stopped: {0}")]
    WriterFailed(String),
    #[error("no secure random source: {0}")]
    Random(String),
}

impl AuditError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AuditError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
