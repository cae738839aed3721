//! A writer killed with SIGKILL mid-stream loses nothing it acknowledged.
//!
//! The test binary re-invokes itself as the writer (env `LINKWELL_AUDIT_CRASH_CHILD`
//! names the log directory): the child appends records, waits until each
//! batch is durable, and only then prints `seq id` per record. The parent
//! kills it after enough acknowledgements, then checks every printed record
//! is in the log and the chain verifies.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use common::*;
use linkwell_audit::{AdminEvent, AuditEvent, AuditLog, FsyncPolicy, find, verify};

const CHILD_ENV: &str = "LINKWELL_AUDIT_CRASH_CHILD";
const POLICY_ENV: &str = "LINKWELL_AUDIT_CRASH_POLICY";

/// Not a test of its own: the writer process for the crash tests.
#[test]
fn crash_child_entry() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut cfg = config(64);
    cfg.fsync = match std::env::var(POLICY_ENV).as_deref() {
        Ok("interval") => FsyncPolicy::IntervalMs(5),
        Ok("never") => FsyncPolicy::Never,
        _ => FsyncPolicy::Always,
    };
    cfg.segment_max_records = 3000;
    let log = AuditLog::open(&dir, cfg).unwrap();
    let mut out = std::io::stdout().lock();
    for batch in 0u64.. {
        let receipts: Vec<_> = (0..25)
            .map(|i| log.append(&call_event(batch * 25 + i)).unwrap())
            .collect();
        log.wait_durable(receipts.last().unwrap().seq).unwrap();
        for r in receipts {
            writeln!(out, "{} {}", r.seq, r.decision_id).unwrap();
        }
        out.flush().unwrap();
    }
}

fn crash_once(dir: &std::path::Path, policy: &str, kill_after: usize) -> Vec<(u64, String)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .env(POLICY_ENV, policy)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut acked = Vec::new();
    let mut line = String::new();
    while acked.len() < kill_after {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("child ended early after {} acks", acked.len());
        }
        if let Some((s, id)) = line.trim_end().split_once(' ')
            && let Ok(seq) = s.parse::<u64>()
        {
            acked.push((seq, id.to_string()));
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no final checkpoint
    child.wait().unwrap();
    // whatever the child printed before it died was acknowledged too
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    for l in rest.lines().filter(|l| !l.is_empty()) {
        // a line cut by the kill is incomplete only if it has no newline:
        // read_to_string gives whole output; `lines` keeps a cut last line,
        // so require the id's full length (seq-8hex)
        if let Some((s, id)) = l.split_once(' ')
            && let Ok(seq) = s.parse::<u64>()
            && id.len() == s.len() + 9
        {
            acked.push((seq, id.to_string()));
        }
    }
    acked
}

fn check_survivors(dir: &std::path::Path, acked: &[(u64, String)]) {
    let r = verify(dir, None).unwrap();
    assert!(r.is_ok(), "after kill -9: {:?}", r.problem);
    let max = acked.iter().map(|a| a.0).max().unwrap();
    assert_eq!(r.first_seq, Some(0));
    assert!(
        r.last_seq.unwrap() >= max,
        "acknowledged seq {max} missing; log ends at {:?}",
        r.last_seq
    );
    // the chain is contiguous from 0, so every seq <= last is present; spot
    // check that acknowledged ids resolve to their own records
    for (seq, id) in acked.iter().step_by(97).chain(acked.last()) {
        let f = find(dir, id)
            .unwrap()
            .unwrap_or_else(|| panic!("{id} not found"));
        assert_eq!(f.record.seq, *seq);
    }
}

#[test]
fn kill_9_loses_nothing_acknowledged_and_the_chain_still_verifies() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    for policy in ["always", "interval", "never"] {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("audit");
        let acked = crash_once(&dir, policy, 400);
        check_survivors(&dir, &acked);

        // a second writer recovers (cuts any torn tail, seals the segment)
        // and continues the same chain; then crash again and check again
        let mut more = crash_once(&dir, policy, 300);
        let first_new = more.first().unwrap().0;
        assert!(
            first_new > acked.last().unwrap().0,
            "{policy}: seq went backwards"
        );
        more.extend(acked);
        check_survivors(&dir, &more);

        // and a clean close after that leaves a fully signed log
        let log = AuditLog::open(&dir, config(64)).unwrap();
        log.append(&call_event(0)).unwrap();
        log.close().unwrap();
        let r = verify(&dir, None).unwrap();
        assert!(r.is_ok(), "{policy}: {:?}", r.problem);
        assert_eq!(r.unsigned_tail, 0);
        assert!(r.torn_tail.is_none());
    }
}

#[test]
fn torn_tail_is_reported_as_such_and_cut_on_reopen() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("audit");
    build_log(&d, 30, config(10));
    // a partial record after everything acknowledged, as a crash mid-write leaves it
    let p = segment(&d, 1);
    let len = std::fs::metadata(&p).unwrap().len();
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(b"R 0123456789abcdef {\"seq\":30,\"id\":\"30-")
        .unwrap();
    drop(f);
    let r = verify(&d, None).unwrap();
    assert!(r.is_ok(), "a torn tail is not tampering: {:?}", r.problem);
    let torn = r.torn_tail.unwrap();
    assert_eq!(
        (torn.file.as_str(), torn.offset, torn.bytes),
        ("seg-00000001.log", len, 38)
    );

    let log = AuditLog::open(&d, config(10)).unwrap();
    log.close().unwrap();
    let r = verify(&d, None).unwrap();
    assert!(r.is_ok() && r.torn_tail.is_none(), "{r:?}");
    assert_eq!(std::fs::metadata(&p).unwrap().len(), len);
    let rec = find(&d, &find_id_of(&d, 30)).unwrap().unwrap();
    assert_eq!(
        rec.record.event,
        AuditEvent::Admin(AdminEvent::TornTailRecovered {
            segment: 1,
            bytes: 38
        })
    );
}

fn find_id_of(d: &std::path::Path, seq: u64) -> String {
    let lines = split_lines(&std::fs::read(segment(d, 2)).unwrap());
    let l = &lines[record_line(&lines, seq)].1;
    let v: serde_json::Value = serde_json::from_slice(&l[67..]).unwrap();
    v["id"].as_str().unwrap().to_string()
}
