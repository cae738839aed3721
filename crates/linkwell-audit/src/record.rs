//! One record's canonical bytes, its chain hash and its line in a segment.
//!
//! Canonical encoding: compact JSON of [`Record`] with fields in declaration
//! order (`seq`, `id`, `logged_us`, `event`) and every nested struct in its
//! declaration order; no maps, no floats. The verifier hashes the bytes as
//! stored, so canonical form matters for the writer's determinism, not for
//! re-serialisation round trips.
//!
//! Chain: `hash[n] = SHA-256(hash[n-1] || seq_n as 8 bytes big-endian || bytes_n)`.
//!
//! Line: `R <hash-hex> <canonical json>\n`.

use serde::{Deserialize, Serialize};

use crate::event::AuditEvent;
use crate::hash::{Digest, to_hex};

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    /// The decision id: `<seq>-<8 hex of SHA-256(event bytes)>`.
    pub id: String,
    /// Wall-clock time the log accepted the record, microseconds since the epoch.
    pub logged_us: i64,
    pub event: AuditEvent,
}

/// The decision id. The sequence number makes it unique and lets a lookup
/// go straight to the right segment; the content hash makes a guessed or
/// mistyped id fail instead of showing a different record.
pub fn decision_id(seq: u64, event_json: &[u8]) -> String {
    let d = Digest::of(&[event_json]);
    format!("{seq}-{}", to_hex(&d.0[..4]))
}

/// The sequence number an id claims, if it is well formed.
pub fn seq_of_id(id: &str) -> Option<u64> {
    let (seq, h) = id.split_once('-')?;
    if h.len() != 8 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    seq.parse().ok()
}

/// Builds the canonical bytes from an already-serialised event, so the
/// caller's thread pays for serialisation and the writer only concatenates.
pub fn canonical(seq: u64, id: &str, logged_us: i64, event_json: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(event_json.len() + 64 + id.len());
    v.extend_from_slice(b"{\"seq\":");
    v.extend_from_slice(seq.to_string().as_bytes());
    v.extend_from_slice(b",\"id\":\"");
    v.extend_from_slice(id.as_bytes()); // digits, '-', hex: no escaping needed
    v.extend_from_slice(b"\",\"logged_us\":");
    v.extend_from_slice(logged_us.to_string().as_bytes());
    v.extend_from_slice(b",\"event\":");
    v.extend_from_slice(event_json);
    v.push(b'}');
    v
}

pub fn chain_hash(prev: &Digest, seq: u64, canonical: &[u8]) -> Digest {
    Digest::of(&[&prev.0, &seq.to_be_bytes(), canonical])
}

/// Appends the segment line for a record.
pub fn write_line(out: &mut Vec<u8>, hash: &Digest, canonical: &[u8]) {
    out.extend_from_slice(b"R ");
    out.extend_from_slice(hash.to_hex().as_bytes());
    out.push(b' ');
    out.extend_from_slice(canonical);
    out.push(b'\n');
}

/// A record line split into its stored hash and canonical bytes.
pub fn split_line(line: &[u8]) -> Option<(Digest, &[u8])> {
    let rest = line.strip_prefix(b"R ")?;
    let (h, body) = (rest.get(..64)?, rest.get(64..)?);
    let body = body.strip_prefix(b" ")?;
    Some((Digest::from_hex(std::str::from_utf8(h).ok()?)?, body))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::event::AdminEvent;

    #[test]
    fn canonical_bytes_parse_back_and_match_serde() {
        let ev = AuditEvent::Admin(AdminEvent::KillSwitch {
            on: true,
            actor: "alice".into(),
            reason: "incident 7".into(),
        });
        let ej = serde_json::to_vec(&ev).unwrap();
        let id = decision_id(7, &ej);
        let c = canonical(7, &id, 1_700_000_000_000_000, &ej);
        let r: Record = serde_json::from_slice(&c).unwrap();
        assert_eq!(r.seq, 7);
        assert_eq!(r.event, ev);
        assert_eq!(serde_json::to_vec(&r).unwrap(), c);
        assert_eq!(seq_of_id(&id), Some(7));
        assert_eq!(seq_of_id("7-xyz"), None);
    }

    #[test]
    fn line_round_trip_and_chain_depends_on_everything() {
        let c = br#"{"seq":1}"#;
        let h = chain_hash(&Digest::ZERO, 1, c);
        assert_ne!(h, chain_hash(&Digest::ZERO, 2, c));
        assert_ne!(h, chain_hash(&Digest::of(&[b"x"]), 1, c));
        let mut line = Vec::new();
        write_line(&mut line, &h, c);
        let (h2, body) = split_line(line.strip_suffix(b"\n").unwrap()).unwrap();
        assert_eq!((h2, body), (h, &c[..]));
        assert!(split_line(b"R abc {}").is_none());
    }
}
