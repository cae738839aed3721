//! Linkwell's tamper-evident audit trail.
//!
//! Every call that reaches a Linkwell source and every administrative event
//! becomes one [`Record`] in an append-only, hash-chained log. The chain is
//! checkpointed with Ed25519 signatures over a Merkle root, so a later
//! `verify` can say exactly where the log was altered, and `find` can prove
//! one record's inclusion without the rest of the log. Format, durability
//! and recovery rules: `docs/audit.md`.
//!
//! Layout: `hash`, `record`, `merkle`, `checkpoint`, `verify` and `event`
//! are I/O-free; `store` (files), `writer` (the append thread) and `find`
//! read and write the log directory.

pub mod checkpoint;
pub mod error;
pub mod event;
pub mod find;
pub mod hash;
pub mod merkle;
pub mod record;
pub mod store;
pub mod verify;
pub mod writer;

use std::path::Path;

use ed25519_dalek::VerifyingKey;

pub use checkpoint::{Checkpoint, SegmentHeader};
pub use error::AuditError;
pub use event::{AdminEvent, AuditEvent, CallAudit, FindingAudit, ValidationAudit};
pub use find::{Found, ProofCheck, find};
pub use hash::Digest;
pub use merkle::InclusionProof;
pub use record::Record;
pub use verify::{Problem, ProblemKind, TornTail, Verifier, VerifyReport};
pub use writer::{AuditConfig, AuditLog, FsyncPolicy, Receipt};

/// The log's public key as stored beside it (`audit.pub`).
pub fn public_key(dir: &Path) -> Result<VerifyingKey, AuditError> {
    store::read_public_key(&dir.join(store::PUBLIC_KEY_FILE))
}

/// Verifies the whole log in `dir` against `audit.pub`, or against `pinned`
/// when the caller keeps the key elsewhere (so a replaced `audit.pub`
/// cannot vouch for a rewritten log). `Err` means the log could not be
/// read; tampering is reported in [`VerifyReport::problem`].
pub fn verify(dir: &Path, pinned: Option<VerifyingKey>) -> Result<VerifyReport, AuditError> {
    let key = match pinned {
        Some(k) => k,
        None => public_key(dir)?,
    };
    let head = store::read_head(dir)?;
    let segs = store::list_segments(dir)?;
    let mut v = Verifier::new(key, head);
    for (i, (n, path)) in segs.iter().enumerate() {
        let buf = store::read(path)?;
        v.segment(*n, &store::segment_name(*n), &buf, i + 1 == segs.len());
    }
    Ok(v.finish())
}
