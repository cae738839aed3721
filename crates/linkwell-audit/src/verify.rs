//! Re-checks a log segment by segment and names the first place where it
//! differs from what the writer produced. I/O-free: the caller feeds each
//! segment's bytes in order ([`crate::store`] reads the files).

use std::fmt;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, SegmentHeader};
use crate::hash::Digest;
use crate::merkle::CompactRange;
use crate::record::{chain_hash, seq_of_id, split_line};

/// What went wrong, in words an auditor uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A record's bytes no longer hash to what the chain says.
    Altered,
    /// A record (or a run of records) is gone.
    Missing,
    /// Records are out of order.
    Reordered,
    /// A record that the writer never wrote sits in the chain.
    Inserted,
    /// Records the log once held (and signed) are gone from the end.
    Truncated,
    /// A checkpoint's signature does not verify under the log's public key.
    ForgedCheckpoint,
    /// A correctly signed checkpoint disagrees with the records: they were
    /// rewritten after it was signed.
    CheckpointMismatch,
    /// A whole segment file is gone from the middle of the log.
    MissingSegment,
    /// A line is not a record, checkpoint or header at all.
    Malformed,
}

impl ProblemKind {
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::Altered => "altered",
            ProblemKind::Missing => "missing",
            ProblemKind::Reordered => "reordered",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Truncated => "truncated",
            ProblemKind::ForgedCheckpoint => "forged-checkpoint",
            ProblemKind::CheckpointMismatch => "checkpoint-mismatch",
            ProblemKind::MissingSegment => "missing-segment",
            ProblemKind::Malformed => "malformed",
        }
    }
}

/// The first problem found, located precisely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// Segment file name (or `head.json`).
    pub file: String,
    /// Byte offset of the offending line in that file.
    pub offset: u64,
    /// The sequence number the log expected at that point, where one applies.
    pub seq: Option<u64>,
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} in {} at byte {}",
            self.kind.name(),
            self.file,
            self.offset
        )?;
        if let Some(s) = self.seq {
            write!(f, " (record seq {s})")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// An incomplete last line: the writer was stopped mid-write. Not tampering
/// as long as nothing signed or acknowledged is missing (see docs/audit.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TornTail {
    pub file: String,
    pub offset: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VerifyReport {
    pub segments: u64,
    pub records: u64,
    pub checkpoints: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// The last record covered by a valid signed checkpoint.
    pub signed_through: Option<u64>,
    /// Records after the last checkpoint: chained, not yet signed.
    pub unsigned_tail: u64,
    pub torn_tail: Option<TornTail>,
    /// Hex public key the signatures were checked against.
    pub public_key: String,
    pub problem: Option<Problem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// One line of a segment with its byte offset; `complete` is false for a
/// last line with no terminating newline.
pub(crate) struct Line<'a> {
    pub offset: u64,
    pub bytes: &'a [u8],
    pub complete: bool,
}

pub(crate) fn lines(buf: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= buf.len() {
            return None;
        }
        let start = pos;
        match memchr_nl(&buf[start..]) {
            Some(i) => {
                pos = start + i + 1;
                Some(Line {
                    offset: start as u64,
                    bytes: &buf[start..start + i],
                    complete: true,
                })
            }
            None => {
                pos = buf.len();
                Some(Line {
                    offset: start as u64,
                    bytes: &buf[start..],
                    complete: false,
                })
            }
        }
    })
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

#[derive(Deserialize)]
struct SeqId {
    seq: u64,
    id: String,
}

/// The sequence number and id of a record line, without parsing the event.
pub(crate) fn record_seq(body: &[u8]) -> Option<(u64, String)> {
    let s: SeqId = serde_json::from_slice(body).ok()?;
    Some((s.seq, s.id))
}

/// The running state across segments.
pub struct Verifier {
    key: VerifyingKey,
    head: Option<Checkpoint>,
    report: VerifyReport,
    next_segment: Option<u64>,
    next_seq: Option<u64>,
    chain: Digest,
    head_seen: bool,
}

fn problem(
    kind: ProblemKind,
    file: &str,
    offset: u64,
    seq: Option<u64>,
    detail: String,
) -> Problem {
    Problem {
        kind,
        file: file.to_string(),
        offset,
        seq,
        detail,
    }
}

impl Verifier {
    /// `head` is the latest checkpoint from `head.json`, if that file exists.
    pub fn new(key: VerifyingKey, head: Option<Checkpoint>) -> Verifier {
        Verifier {
            report: VerifyReport {
                public_key: crate::hash::to_hex(key.as_bytes()),
                ..Default::default()
            },
            key,
            head,
            next_segment: None,
            next_seq: None,
            chain: Digest::ZERO,
            head_seen: false,
        }
    }

    /// Checks one segment. Stops at the first problem (kept in the report).
    pub fn segment(&mut self, number: u64, file: &str, buf: &[u8], is_last: bool) {
        if self.report.problem.is_none()
            && let Err(p) = self.segment_inner(number, file, buf, is_last)
        {
            self.report.problem = Some(p);
        }
    }

    fn segment_inner(
        &mut self,
        number: u64,
        file: &str,
        buf: &[u8],
        is_last: bool,
    ) -> Result<(), Problem> {
        if let Some(want) = self.next_segment
            && number != want
        {
            return Err(problem(
                ProblemKind::MissingSegment,
                file,
                0,
                self.next_seq,
                format!("segment {want} is missing (next file is segment {number})"),
            ));
        }
        self.next_segment = Some(number.saturating_add(1));
        self.report.segments += 1;

        let all: Vec<Line<'_>> = lines(buf).collect();
        let Some(first) = all.first() else {
            return self.empty_segment(file, is_last);
        };
        let header: SegmentHeader = first
            .bytes
            .strip_prefix(b"H ")
            .filter(|_| first.complete)
            .and_then(|b| serde_json::from_slice(b).ok())
            .ok_or_else(|| {
                problem(
                    ProblemKind::Malformed,
                    file,
                    0,
                    self.next_seq,
                    "no segment header".into(),
                )
            })?;
        self.check_header(&header, number, file)?;

        let mut tree = CompactRange::default();
        let mut last_seq: Option<u64> = None;
        let mut closed = false;
        for (i, line) in all.iter().enumerate().skip(1) {
            if !line.complete {
                if !is_last {
                    return Err(problem(
                        ProblemKind::Truncated,
                        file,
                        line.offset,
                        self.next_seq,
                        "a sealed segment ends in the middle of a line".into(),
                    ));
                }
                self.report.torn_tail = Some(TornTail {
                    file: file.to_string(),
                    offset: line.offset,
                    bytes: line.bytes.len() as u64,
                });
                break;
            }
            closed = false;
            match line.bytes.first() {
                Some(b'R') => {
                    let expected = self.next_seq.unwrap_or(header.first_seq);
                    self.record(line, &all[i + 1..], expected, file)?;
                    tree.push(&self.chain);
                    last_seq = Some(expected);
                }
                Some(b'C') => {
                    let cp = self.checkpoint(line, file, &header, &tree, last_seq)?;
                    self.report.checkpoints += 1;
                    self.report.signed_through = Some(cp.last_seq);
                    self.report.unsigned_tail = 0;
                    closed = true;
                }
                _ => {
                    return Err(problem(
                        ProblemKind::Malformed,
                        file,
                        line.offset,
                        self.next_seq,
                        "line is neither a record nor a checkpoint".into(),
                    ));
                }
            }
        }
        if !is_last && !closed {
            return Err(problem(
                ProblemKind::Truncated,
                file,
                buf.len() as u64,
                self.next_seq,
                "a sealed segment does not end with its closing checkpoint: records were cut from its end".into(),
            ));
        }
        Ok(())
    }

    fn empty_segment(&mut self, file: &str, is_last: bool) -> Result<(), Problem> {
        if is_last {
            // created, crashed before the header reached the disk
            Ok(())
        } else {
            Err(problem(
                ProblemKind::Truncated,
                file,
                0,
                self.next_seq,
                "a sealed segment is empty".into(),
            ))
        }
    }

    fn check_header(&mut self, h: &SegmentHeader, number: u64, file: &str) -> Result<(), Problem> {
        let bad = |kind, detail: String| problem(kind, file, 0, Some(h.first_seq), detail);
        if h.segment != number {
            return Err(bad(
                ProblemKind::Altered,
                format!(
                    "header names segment {} in file for segment {number}",
                    h.segment
                ),
            ));
        }
        match self.next_seq {
            Some(want) => {
                if h.first_seq != want {
                    let kind = if h.first_seq > want {
                        ProblemKind::Missing
                    } else {
                        ProblemKind::Inserted
                    };
                    return Err(bad(
                        kind,
                        format!(
                            "segment starts at seq {} but the previous one ended before {want}",
                            h.first_seq
                        ),
                    ));
                }
                if h.prev_hash != self.chain {
                    return Err(bad(
                        ProblemKind::Altered,
                        "segment header's previous hash does not continue the chain".into(),
                    ));
                }
            }
            None => {
                // first retained segment: its anchor is signed by the closing
                // checkpoint of the (deleted) previous segment
                if let Some(pc) = &h.prev_checkpoint {
                    if !pc.verify(&self.key) {
                        return Err(bad(
                            ProblemKind::ForgedCheckpoint,
                            "the previous segment's closing checkpoint in the header is not signed by this log's key".into(),
                        ));
                    }
                    if pc.head != h.prev_hash || pc.last_seq.checked_add(1) != Some(h.first_seq) {
                        return Err(bad(
                            ProblemKind::CheckpointMismatch,
                            "the header's anchor disagrees with the signed checkpoint it carries"
                                .into(),
                        ));
                    }
                } else if h.first_seq != 0 || h.prev_hash != Digest::ZERO {
                    return Err(bad(
                        ProblemKind::Missing,
                        "the log starts mid-chain without a signed anchor".into(),
                    ));
                }
                self.chain = h.prev_hash;
                self.next_seq = Some(h.first_seq);
            }
        }
        Ok(())
    }

    fn record(
        &mut self,
        line: &Line<'_>,
        rest: &[Line<'_>],
        expected: u64,
        file: &str,
    ) -> Result<(), Problem> {
        let at = |kind, seq, detail: String| problem(kind, file, line.offset, Some(seq), detail);
        let Some((stored, body)) = split_line(line.bytes) else {
            return Err(at(
                ProblemKind::Altered,
                expected,
                "record line is damaged".into(),
            ));
        };
        let Some((seq, id)) = record_seq(body) else {
            return Err(at(
                ProblemKind::Altered,
                expected,
                "record is not valid JSON any more".into(),
            ));
        };
        if seq_of_id(&id) != Some(seq) {
            return Err(at(
                ProblemKind::Altered,
                expected,
                format!("record's seq {seq} disagrees with its decision id {id}"),
            ));
        }
        if seq != expected {
            let later: Vec<Option<u64>> = rest
                .iter()
                .take_while(|l| l.complete)
                .filter(|l| l.bytes.first() == Some(&b'R'))
                .map(|l| {
                    split_line(l.bytes)
                        .and_then(|(_, b)| record_seq(b))
                        .map(|s| s.0)
                })
                .collect();
            let (kind, detail) = if seq < expected {
                (
                    ProblemKind::Inserted,
                    format!("record seq {seq} appears again where seq {expected} belongs"),
                )
            } else if later.contains(&Some(expected)) {
                if later.first() == Some(&Some(expected))
                    && later.get(1) == Some(&expected.checked_add(1))
                {
                    (
                        ProblemKind::Inserted,
                        format!("a record claiming seq {seq} was inserted before seq {expected}"),
                    )
                } else {
                    (
                        ProblemKind::Reordered,
                        format!(
                            "record seq {seq} stands where seq {expected} belongs; seq {expected} comes later"
                        ),
                    )
                }
            } else if Some(seq) == expected.checked_add(1) {
                (
                    ProblemKind::Missing,
                    format!("record seq {expected} was removed"),
                )
            } else {
                (
                    ProblemKind::Missing,
                    format!("records seq {expected}..={} were removed", seq - 1),
                )
            };
            return Err(at(kind, expected, detail));
        }
        let h = chain_hash(&self.chain, seq, body);
        if h != stored {
            return Err(at(
                ProblemKind::Altered,
                seq,
                "record content does not match its hash (changed after it was written)".into(),
            ));
        }
        self.chain = h;
        self.next_seq = Some(seq.saturating_add(1));
        self.report.records += 1;
        self.report.unsigned_tail += 1;
        self.report.first_seq.get_or_insert(seq);
        self.report.last_seq = Some(seq);
        if let Some(hd) = &self.head
            && hd.last_seq == seq
        {
            self.head_seen = true;
            if hd.head != h {
                return Err(at(
                    ProblemKind::CheckpointMismatch,
                    seq,
                    "head.json's signed chain head differs from the log's at this record".into(),
                ));
            }
        }
        Ok(())
    }

    fn checkpoint(
        &mut self,
        line: &Line<'_>,
        file: &str,
        header: &SegmentHeader,
        tree: &CompactRange,
        last_seq: Option<u64>,
    ) -> Result<Checkpoint, Problem> {
        let at = |kind, detail: String| problem(kind, file, line.offset, last_seq, detail);
        let cp: Checkpoint = line
            .bytes
            .strip_prefix(b"C ")
            .and_then(|b| serde_json::from_slice(b).ok())
            .ok_or_else(|| {
                at(
                    ProblemKind::Malformed,
                    "checkpoint line does not parse".into(),
                )
            })?;
        if !cp.verify(&self.key) {
            return Err(at(
                ProblemKind::ForgedCheckpoint,
                format!(
                    "checkpoint for seq {}..={} is not signed by this log's key",
                    cp.first_seq, cp.last_seq
                ),
            ));
        }
        let matches = cp.segment == header.segment
            && cp.first_seq == header.first_seq
            && Some(cp.last_seq) == last_seq
            && cp.head == self.chain
            && cp.root == tree.root();
        if !matches {
            return Err(at(
                ProblemKind::CheckpointMismatch,
                format!(
                    "signed checkpoint for seq {}..={} does not match the records before it",
                    cp.first_seq, cp.last_seq
                ),
            ));
        }
        Ok(cp)
    }

    /// Final checks against `head.json`, then the report.
    pub fn finish(mut self) -> VerifyReport {
        if self.report.problem.is_none() && self.head.is_none() && self.report.checkpoints > 0 {
            self.report.problem = Some(problem(
                ProblemKind::Truncated,
                "head.json",
                0,
                self.report.last_seq,
                "head.json (the latest signed head) is missing, so the end of the log cannot be vouched for".into(),
            ));
        }
        if self.report.problem.is_none()
            && let Some(h) = &self.head
        {
            let p = if !h.verify(&self.key) {
                Some(problem(
                    ProblemKind::ForgedCheckpoint,
                    "head.json",
                    0,
                    Some(h.last_seq),
                    "the latest signed checkpoint is not signed by this log's key".into(),
                ))
            } else if !self.head_seen {
                Some(problem(
                    ProblemKind::Truncated,
                    "head.json",
                    0,
                    Some(h.last_seq),
                    format!(
                        "records through seq {} were signed, but the log {}",
                        h.last_seq,
                        match self.report.last_seq {
                            Some(l) => format!("ends at seq {l}"),
                            None => "holds no record".into(),
                        }
                    ),
                ))
            } else {
                None
            };
            self.report.problem = p;
        }
        self.report
    }
}

impl Verifier {
    /// Chain hash after the last verified record (for the writer's recovery).
    pub(crate) fn chain(&self) -> Digest {
        self.chain
    }

    pub(crate) fn next_seq(&self) -> Option<u64> {
        self.next_seq
    }

    /// The first problem so far, without the end-of-log checks.
    pub(crate) fn problem(&self) -> Option<&Problem> {
        self.report.problem.as_ref()
    }
}
