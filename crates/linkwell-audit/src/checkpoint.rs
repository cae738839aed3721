//! Signed checkpoints and segment headers.
//!
//! A checkpoint commits to a prefix of one segment: the chain head after
//! its last record and the Merkle root over the segment's records so far.
//! The signed message is a fixed binary layout (not the JSON), so the
//! signature does not depend on how the JSON happens to be spelled:
//!
//! ```text
//! "linkwell-audit-checkpoint-v1" || segment u64 BE || first_seq u64 BE ||
//! last_seq u64 BE || head (32) || root (32) || time_us i64 BE
//! ```
//!
//! Line: `C <json>\n`. Segment header line: `H <json>\n`.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::hash::{Digest, from_hex, to_hex};

const DOMAIN: &[u8] = b"linkwell-audit-checkpoint-v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub segment: u64,
    pub first_seq: u64,
    /// Inclusive. A checkpoint always covers at least one record.
    pub last_seq: u64,
    /// Chain hash after `last_seq`.
    pub head: Digest,
    /// Merkle root over the record hashes `first_seq..=last_seq`.
    pub root: Digest,
    pub time_us: i64,
    /// Hex Ed25519 signature over [`Checkpoint::message`].
    pub sig: String,
}

impl Checkpoint {
    pub fn message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN.len() + 24 + 64 + 8);
        m.extend_from_slice(DOMAIN);
        m.extend_from_slice(&self.segment.to_be_bytes());
        m.extend_from_slice(&self.first_seq.to_be_bytes());
        m.extend_from_slice(&self.last_seq.to_be_bytes());
        m.extend_from_slice(&self.head.0);
        m.extend_from_slice(&self.root.0);
        m.extend_from_slice(&self.time_us.to_be_bytes());
        m
    }

    pub fn signed(mut self, key: &SigningKey) -> Checkpoint {
        let sig = key.sign(&self.message());
        self.sig = to_hex(&sig.to_bytes());
        self
    }

    /// Strict verification: rejects malleable and small-order signatures.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Some(bytes) = from_hex(&self.sig).and_then(|v| <[u8; 64]>::try_from(v).ok()) else {
            return false;
        };
        key.verify_strict(&self.message(), &Signature::from_bytes(&bytes))
            .is_ok()
    }

    pub fn records(&self) -> u64 {
        self.last_seq
            .saturating_sub(self.first_seq)
            .saturating_add(1)
    }
}

/// First line of every segment: where its chain starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentHeader {
    pub segment: u64,
    pub first_seq: u64,
    /// Chain hash before `first_seq` (zero for the very first record).
    pub prev_hash: Digest,
    /// The closing checkpoint of the previous segment, so the anchor of the
    /// first retained segment stays signed after retention deletes its
    /// predecessor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_checkpoint: Option<Checkpoint>,
}

pub fn write_checkpoint_line(out: &mut Vec<u8>, c: &Checkpoint) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"C ");
    serde_json::to_writer(&mut *out, c)?;
    out.push(b'\n');
    Ok(())
}

pub fn write_header_line(out: &mut Vec<u8>, h: &SegmentHeader) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"H ");
    serde_json::to_writer(&mut *out, h)?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cp() -> Checkpoint {
        Checkpoint {
            segment: 1,
            first_seq: 0,
            last_seq: 9,
            head: Digest::of(&[b"h"]),
            root: Digest::of(&[b"r"]),
            time_us: 5,
            sig: String::new(),
        }
    }

    #[test]
    fn signature_covers_every_field_and_the_key() {
        let k = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let c = cp().signed(&k);
        assert!(c.verify(&k.verifying_key()));
        assert!(!c.verify(&other.verifying_key()));
        let mut bad = c.clone();
        bad.last_seq = 10;
        assert!(!bad.verify(&k.verifying_key()));
        let mut bad = c.clone();
        bad.root = Digest::ZERO;
        assert!(!bad.verify(&k.verifying_key()));
        let mut bad = c;
        bad.sig = "00".into();
        assert!(!bad.verify(&k.verifying_key()));
    }
}
