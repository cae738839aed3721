//! Every kind of tampering is caught by `verify` and located precisely.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use linkwell_audit::{AuditEvent, AuditLog, Checkpoint, ProblemKind, find, verify};

fn fresh() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    build_log(&d, 50, config(10));
    (t, d)
}

#[test]
fn untouched_log_verifies() {
    let (_t, d) = fresh();
    let r = verify(&d, None).unwrap();
    assert!(r.is_ok(), "{:?}", r.problem);
    assert_eq!(r.records, 50);
    assert_eq!((r.first_seq, r.last_seq), (Some(0), Some(49)));
    assert_eq!(r.signed_through, Some(49));
    assert_eq!(r.unsigned_tail, 0);
    assert_eq!(r.checkpoints, 5);
    assert!(r.torn_tail.is_none());
}

#[test]
fn one_changed_byte_is_named_altered_at_its_record() {
    let (_t, d) = fresh();
    let p = segment(&d, 1);
    let mut lines = split_lines(&std::fs::read(&p).unwrap());
    let i = record_line(&lines, 20);
    let at = lines[i].1.windows(4).position(|w| w == b"/v1/").unwrap();
    lines[i].1[at + 1] = b'w'; // "/v1/" -> "/w1/"
    let off = lines[i].0 as u64;
    std::fs::write(&p, join(&lines)).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::Altered, "{pr}");
    assert_eq!(
        (pr.seq, pr.offset, pr.file.as_str()),
        (Some(20), off, "seg-00000001.log")
    );
}

#[test]
fn changed_stored_hash_is_altered_too() {
    let (_t, d) = fresh();
    let p = segment(&d, 1);
    let mut lines = split_lines(&std::fs::read(&p).unwrap());
    let i = record_line(&lines, 33);
    lines[i].1[2] = if lines[i].1[2] == b'a' { b'b' } else { b'a' };
    std::fs::write(&p, join(&lines)).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!((pr.kind, pr.seq), (ProblemKind::Altered, Some(33)), "{pr}");
}

#[test]
fn deleted_record_is_named_missing() {
    let (_t, d) = fresh();
    let p = segment(&d, 1);
    let mut lines = split_lines(&std::fs::read(&p).unwrap());
    let i = record_line(&lines, 20);
    let off = lines[i].0 as u64;
    lines.remove(i);
    std::fs::write(&p, join(&lines)).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::Missing, "{pr}");
    assert_eq!((pr.seq, pr.offset), (Some(20), off));
}

#[test]
fn swapped_records_are_named_reordered() {
    let (_t, d) = fresh();
    let p = segment(&d, 1);
    let mut lines = split_lines(&std::fs::read(&p).unwrap());
    let i = record_line(&lines, 20);
    let j = record_line(&lines, 21);
    let off = lines[i].0 as u64;
    lines.swap(i, j);
    std::fs::write(&p, join(&lines)).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::Reordered, "{pr}");
    assert_eq!((pr.seq, pr.offset), (Some(20), off));
}

#[test]
fn duplicated_record_is_named_inserted() {
    let (_t, d) = fresh();
    let p = segment(&d, 1);
    let mut lines = split_lines(&std::fs::read(&p).unwrap());
    let i = record_line(&lines, 20);
    let copy = lines[i].clone();
    lines.insert(i + 1, copy);
    let off = lines[i].0 + lines[i].1.len();
    std::fs::write(&p, join(&lines)).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::Inserted, "{pr}");
    assert_eq!((pr.seq, pr.offset), (Some(21), off as u64));
}

#[test]
fn truncated_tail_is_named_truncated_even_mid_line() {
    for cut_inside_line in [false, true] {
        let (_t, d) = fresh();
        let p = segment(&d, 1);
        let buf = std::fs::read(&p).unwrap();
        let lines = split_lines(&buf);
        let i = record_line(&lines, 45);
        let cut = lines[i].0 + if cut_inside_line { 30 } else { 0 };
        std::fs::write(&p, &buf[..cut]).unwrap();
        let r = verify(&d, None).unwrap();
        let pr = r.problem.unwrap();
        assert_eq!(pr.kind, ProblemKind::Truncated, "{pr}");
        assert_eq!(pr.file, "head.json");
        assert_eq!(pr.seq, Some(49));
        assert!(pr.detail.contains("ends at seq 44"), "{pr}");
    }
}

#[test]
fn checkpoint_signed_with_another_key_is_named_forged() {
    let (_t, d) = fresh();
    let p = segment(&d, 1);
    let mut lines = split_lines(&std::fs::read(&p).unwrap());
    let i = lines
        .iter()
        .position(|(_, l)| l.starts_with(b"C ") && l.windows(14).any(|w| w == b"\"last_seq\":29,"))
        .unwrap();
    let cp: Checkpoint = serde_json::from_slice(&lines[i].1[2..]).unwrap();
    let forged = cp.signed(&SigningKey::from_bytes(&[9; 32]));
    let mut line = b"C ".to_vec();
    line.extend(serde_json::to_vec(&forged).unwrap());
    line.push(b'\n');
    lines[i].1 = line;
    let off = lines[i].0 as u64;
    std::fs::write(&p, join(&lines)).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::ForgedCheckpoint, "{pr}");
    assert_eq!((pr.offset, pr.seq), (off, Some(29)));
}

#[test]
fn consistently_rewritten_chain_fails_at_the_first_checkpoint_after_the_change() {
    // the attacker changes record 12 and recomputes every later hash: the
    // chain is consistent again, but the checkpoint at 19 no longer matches
    let (_t, d) = fresh();
    let p = segment(&d, 1);
    let lines = split_lines(&std::fs::read(&p).unwrap());
    let mut out = Vec::new();
    let mut prev = linkwell_audit::Digest::ZERO;
    let mut cp19_offset = 0;
    for (off, l) in &lines {
        if let Some((_, body)) = linkwell_audit::record::split_line(&l[..l.len() - 1]) {
            let mut body = body.to_vec();
            let seq: u64 = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["seq"]
                .as_u64()
                .unwrap();
            if seq == 12 {
                let at = body.windows(4).position(|w| w == b"/v1/").unwrap();
                body[at + 2] = b'9';
            }
            let h = linkwell_audit::record::chain_hash(&prev, seq, &body);
            linkwell_audit::record::write_line(&mut out, &h, &body);
            prev = h;
        } else {
            if l.windows(14).any(|w| w == b"\"last_seq\":19,") {
                cp19_offset = out.len();
            }
            out.extend_from_slice(l);
        }
        let _ = off;
    }
    std::fs::write(&p, out).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::CheckpointMismatch, "{pr}");
    assert_eq!((pr.offset, pr.seq), (cp19_offset as u64, Some(19)));
}

#[test]
fn replaced_public_key_is_caught_by_a_pinned_key() {
    let (_t, d) = fresh();
    let real = linkwell_audit::public_key(&d).unwrap();
    let other = SigningKey::from_bytes(&[3; 32]).verifying_key();
    let r = verify(&d, Some(other)).unwrap();
    assert_eq!(r.problem.unwrap().kind, ProblemKind::ForgedCheckpoint);
    assert!(verify(&d, Some(real)).unwrap().is_ok());
}

#[test]
fn deleted_middle_segment_is_named_and_rotation_keeps_the_chain() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    let mut cfg = config(10);
    cfg.segment_max_records = 20;
    build_log(&d, 70, cfg);
    let r = verify(&d, None).unwrap();
    assert!(r.is_ok(), "{:?}", r.problem);
    assert_eq!(r.segments, 4);
    assert_eq!(r.records, 70);
    std::fs::remove_file(segment(&d, 2)).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::MissingSegment, "{pr}");
    assert_eq!((pr.file.as_str(), pr.seq), ("seg-00000003.log", Some(20)));
}

#[test]
fn retention_deletes_old_segments_records_it_and_still_verifies() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    let mut cfg = config(10);
    cfg.segment_max_records = 20;
    cfg.retain_segments = Some(2);
    build_log(&d, 100, cfg);
    let r = verify(&d, None).unwrap();
    assert!(r.is_ok(), "{:?}", r.problem);
    assert!(r.first_seq.unwrap() >= 60, "{r:?}");
    assert!(!segment(&d, 1).exists());
    // the deletions are themselves records, findable by id
    let segs: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    let text: String = segs
        .iter()
        .filter(|e| e.file_name().to_string_lossy().starts_with("seg-"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(text.contains("\"event\":\"retention-deleted\""), "{text}");
}

#[test]
fn inclusion_proof_verifies_and_fails_when_tampered() {
    let (_t, d) = fresh();
    let key = linkwell_audit::public_key(&d).unwrap();
    // reopen the same dir, append one admin event, close
    let log = AuditLog::open(&d, config(10)).unwrap();
    let rec = log
        .append(&AuditEvent::Admin(linkwell_audit::AdminEvent::KillSwitch {
            on: true,
            actor: "alice".into(),
            reason: "incident 7".into(),
        }))
        .unwrap();
    log.close().unwrap();
    assert!(verify(&d, None).unwrap().is_ok());

    let f = find(&d, &rec.decision_id).unwrap().unwrap();
    assert_eq!(f.record.seq, rec.seq);
    assert!(f.check(&key).all_ok(), "{:?}", f.check(&key));

    let f20 = find(&d, &find_id(&d, 20)).unwrap().unwrap();
    assert_eq!(f20.record.seq, 20);
    assert!(f20.check(&key).all_ok());
    let mut bad = f20.clone();
    bad.proof.as_mut().unwrap().path[0] = linkwell_audit::Digest::ZERO;
    assert!(!bad.check(&key).inclusion_ok);
    let mut bad = f20.clone();
    bad.canonical = bad.canonical.replace("/v1/", "/v2/");
    assert!(!bad.check(&key).hash_ok);
    let mut bad = f20;
    bad.checkpoint.as_mut().unwrap().root = linkwell_audit::Digest::ZERO;
    let c = bad.check(&key);
    assert!(!c.inclusion_ok && !c.signature_ok);
    // a wrong hash part of an id finds nothing
    assert!(find(&d, "20-00000000").unwrap().is_none());
    assert!(find(&d, "garbage").unwrap().is_none());
}

fn find_id(d: &std::path::Path, seq: u64) -> String {
    let lines = split_lines(&std::fs::read(segment(d, 1)).unwrap());
    let l = &lines[record_line(&lines, seq)].1;
    let v: serde_json::Value = serde_json::from_slice(&l[67..]).unwrap();
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn reopening_continues_the_chain_in_a_new_segment() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    let a = build_log(&d, 15, config(10));
    let b = build_log(&d, 15, config(10));
    assert_eq!(a.last().unwrap().seq, 14);
    assert_eq!(b.first().unwrap().seq, 15);
    let r = verify(&d, None).unwrap();
    assert!(r.is_ok(), "{:?}", r.problem);
    assert_eq!((r.records, r.segments), (30, 2));
    assert!(segment(&d, 2).exists());
}

#[test]
fn cutting_acknowledged_but_not_yet_checkpointed_records_is_caught() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    let log = AuditLog::open(&d, config(1000)).unwrap();
    let r: Vec<_> = (0..20)
        .map(|i| log.append(&common::call_event(i)).unwrap())
        .collect();
    log.wait_durable(r[19].seq).unwrap();
    // the writer is still running (no closing checkpoint): what a live
    // system looks like between checkpoints
    let p = segment(&d, 1);
    let buf = std::fs::read(&p).unwrap();
    assert!(
        !buf.windows(2).any(|w| w == b"\nC"),
        "no checkpoint line yet"
    );
    let lines = split_lines(&buf);
    let cut = lines[record_line(&lines, 15)].0;
    std::fs::write(&p, &buf[..cut]).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(pr.kind, ProblemKind::Truncated, "{pr}");
    assert_eq!(pr.seq, Some(19));
    std::mem::forget(log); // its closing checkpoint would overwrite the evidence
}

#[test]
fn deleted_head_file_is_reported() {
    let (_t, d) = fresh();
    std::fs::remove_file(d.join("head.json")).unwrap();
    let pr = verify(&d, None).unwrap().problem.unwrap();
    assert_eq!(
        (pr.kind, pr.file.as_str()),
        (ProblemKind::Truncated, "head.json"),
        "{pr}"
    );
}

#[test]
fn every_single_byte_change_is_caught_and_nothing_panics() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    build_log(&d, 12, config(5));
    let p = segment(&d, 1);
    let orig = std::fs::read(&p).unwrap();
    let mut checked = 0;
    for pos in (0..orig.len()).step_by(17).chain([orig.len() - 1]) {
        for replacement in [orig[pos] ^ 0x01, 0xff] {
            if replacement == orig[pos] {
                continue;
            }
            let mut b = orig.clone();
            b[pos] = replacement;
            std::fs::write(&p, &b).unwrap();
            let r = verify(&d, None).unwrap();
            // the only change that is not a problem: the final newline
            // turned into something else, which reads as a torn tail
            assert!(
                r.problem.is_some() || (pos == orig.len() - 1 && r.torn_tail.is_some()),
                "byte {pos} -> {replacement:#x} went unnoticed"
            );
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked}");
    // and random garbage or huge numbers never panic
    for junk in [
        &b"H {\"segment\":1,\"first_seq\":18446744073709551615,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\nR 00 x\n"[..],
        b"\xff\xfe\n\n\nC {}\n",
        b"",
    ] {
        std::fs::write(&p, junk).unwrap();
        let _ = verify(&d, None).unwrap();
        let _ = find(&d, "18446744073709551615-00000000").unwrap();
    }
}

#[test]
fn a_second_writer_on_the_same_directory_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    let first = AuditLog::open(&d, config(10)).unwrap();
    let second = AuditLog::open(&d, config(10));
    assert!(matches!(second, Err(linkwell_audit::AuditError::Locked(_))));
    first.close().unwrap();
    AuditLog::open(&d, config(10)).unwrap().close().unwrap();
}
