//! One record with the proof that it is part of a signed checkpoint.

use std::path::Path;

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use crate::checkpoint::Checkpoint;
use crate::error::AuditError;
use crate::hash::Digest;
use crate::merkle::InclusionProof;
use crate::record::{Record, chain_hash, seq_of_id, split_line};
use crate::store;
use crate::verify::lines;

#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub record: Record,
    /// The record's canonical bytes as stored (what the hash covers).
    pub canonical: String,
    pub prev_hash: Digest,
    pub hash: Digest,
    pub file: String,
    pub offset: u64,
    /// `None` while the record is after the last checkpoint (not yet signed).
    pub proof: Option<InclusionProof>,
    pub checkpoint: Option<Checkpoint>,
}

/// What [`Found::check`] established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProofCheck {
    /// SHA-256(prev || seq || canonical) equals the stored hash.
    pub hash_ok: bool,
    /// The inclusion proof leads from the hash to the checkpoint's root.
    pub inclusion_ok: bool,
    /// The checkpoint is signed by the log's key.
    pub signature_ok: bool,
}

impl ProofCheck {
    pub fn all_ok(&self) -> bool {
        self.hash_ok && self.inclusion_ok && self.signature_ok
    }
}

impl Found {
    /// Checks the record against its proof and checkpoint, independently of
    /// the rest of the log.
    pub fn check(&self, key: &VerifyingKey) -> ProofCheck {
        let hash_ok =
            chain_hash(&self.prev_hash, self.record.seq, self.canonical.as_bytes()) == self.hash;
        let (inclusion_ok, signature_ok) = match (&self.proof, &self.checkpoint) {
            (Some(p), Some(c)) => (
                p.verify(&self.hash, &c.root)
                    && Some(p.index) == self.record.seq.checked_sub(c.first_seq)
                    && p.tree_size == c.records(),
                c.verify(key),
            ),
            _ => (false, false),
        };
        ProofCheck {
            hash_ok,
            inclusion_ok,
            signature_ok,
        }
    }
}

/// Finds the record with `decision_id` in the log in `dir`.
pub fn find(dir: &Path, decision_id: &str) -> Result<Option<Found>, AuditError> {
    let Some(seq) = seq_of_id(decision_id) else {
        return Ok(None);
    };
    let segs = store::list_segments(dir)?;
    // the segment holding seq is the last one whose first seq is <= seq
    let mut chosen = None;
    for (n, path) in &segs {
        let Some(h) = store::read_header(path)? else {
            continue;
        };
        if h.first_seq <= seq {
            chosen = Some((*n, path, h));
        } else {
            break;
        }
    }
    let Some((n, path, h)) = chosen else {
        return Ok(None);
    };
    let buf = store::read(path)?;
    let mut hashes = Vec::new();
    let mut prev = h.prev_hash;
    let mut hit = None;
    let mut cp: Option<Checkpoint> = None;
    for l in lines(&buf).filter(|l| l.complete) {
        match l.bytes.first() {
            Some(b'R') => {
                let Some((hash, body)) = split_line(l.bytes) else {
                    continue;
                };
                if hit.is_none() && hashes.len() as u64 == seq - h.first_seq {
                    let record: Record = match serde_json::from_slice(body) {
                        Ok(r) => r,
                        Err(_) => return Ok(None),
                    };
                    if record.id != decision_id || record.seq != seq {
                        return Ok(None);
                    }
                    hit = Some((
                        record,
                        String::from_utf8_lossy(body).into_owned(),
                        prev,
                        hash,
                        l.offset,
                    ));
                }
                prev = hash;
                hashes.push(hash);
            }
            Some(b'C') if hit.is_some() => {
                if let Some(c) = l
                    .bytes
                    .strip_prefix(b"C ")
                    .and_then(|b| serde_json::from_slice::<Checkpoint>(b).ok())
                {
                    cp = Some(c);
                }
            }
            _ => {}
        }
    }
    let Some((record, canonical, prev_hash, hash, offset)) = hit else {
        return Ok(None);
    };
    let proof = cp.as_ref().and_then(|c| {
        let size = usize::try_from(c.records()).ok()?;
        InclusionProof::build(hashes.get(..size)?, seq - h.first_seq)
    });
    Ok(Some(Found {
        record,
        canonical,
        prev_hash,
        hash,
        file: store::segment_name(n),
        offset,
        proof,
        checkpoint: cp,
    }))
}
