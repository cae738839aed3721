//! `linkwell audit verify|show` and `linkwell bench audit`.

use std::borrow::Cow;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use linkwell_audit::{AuditConfig, AuditEvent, AuditLog, CallAudit, FsyncPolicy, VerifyReport};
use linkwell_core::{CallRecord, EndpointKey, Method, Timestamp, Verdict};

use crate::cli::{AuditShowArgs, AuditVerifyArgs, BenchAuditArgs};

pub(crate) fn verify(a: &AuditVerifyArgs) -> anyhow::Result<ExitCode> {
    if !a.dir.is_dir() {
        bail!("{} is not a directory", a.dir.display());
    }
    let pinned = match &a.pubkey {
        None => None,
        Some(s) => Some(match linkwell_audit::store::parse_public_key(s.trim()) {
            Some(k) => k,
            None => linkwell_audit::store::read_public_key(Path::new(s))?,
        }),
    };
    let r = linkwell_audit::verify(&a.dir, pinned)
        .with_context(|| format!("cannot read the audit log in {}", a.dir.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_report(&a.dir, &r);
    }
    Ok(if r.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(dir: &Path, r: &VerifyReport) {
    let verdict = if r.is_ok() { "OK" } else { "TAMPERED" };
    println!("audit log {}: {verdict}", dir.display());
    let range = match (r.first_seq, r.last_seq) {
        (Some(a), Some(b)) => format!(" (seq {a}..={b})"),
        _ => String::new(),
    };
    println!(
        "  {} segments, {} records{range}, {} checkpoints",
        r.segments, r.records, r.checkpoints
    );
    match r.signed_through {
        Some(s) => println!(
            "  signed through seq {s}; {} records after the last checkpoint",
            r.unsigned_tail
        ),
        None => println!("  no signed checkpoint yet"),
    }
    println!("  public key {}", r.public_key);
    if let Some(t) = &r.torn_tail {
        println!(
            "  torn tail after last durable record: {} at byte {} ({} bytes, never acknowledged; cut when the log is reopened)",
            t.file, t.offset, t.bytes
        );
    }
    if let Some(p) = &r.problem {
        println!("  first problem: {p}");
    }
}

pub(crate) fn show(a: &AuditShowArgs) -> anyhow::Result<ExitCode> {
    let Some(found) = linkwell_audit::find(&a.dir, &a.id)
        .with_context(|| format!("cannot read the audit log in {}", a.dir.display()))?
    else {
        eprintln!("no record with decision id {} in {}", a.id, a.dir.display());
        return Ok(ExitCode::from(1));
    };
    let key = linkwell_audit::public_key(&a.dir)?;
    let check = found.check(&key);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "record": found.record,
                "hash": found.hash,
                "prev_hash": found.prev_hash,
                "file": found.file,
                "offset": found.offset,
                "proof": found.proof,
                "checkpoint": found.checkpoint,
                "check": check,
            }))?
        );
    } else {
        println!("{}", serde_json::to_string_pretty(&found.record)?);
        println!("location:   {} at byte {}", found.file, found.offset);
        println!("hash:       {}", found.hash);
        println!("prev hash:  {}", found.prev_hash);
        match (&found.proof, &found.checkpoint) {
            (Some(p), Some(c)) => {
                println!(
                    "proof:      leaf {} of {} in segment {} ({} hashes)",
                    p.index,
                    p.tree_size,
                    c.segment,
                    p.path.len()
                );
                for h in &p.path {
                    println!("            {h}");
                }
                println!(
                    "checkpoint: seq {}..={} root {} head {} sig {}",
                    c.first_seq, c.last_seq, c.root, c.head, c.sig
                );
            }
            _ => println!("proof:      none yet (the record is after the last checkpoint)"),
        }
        let yes = |b: bool| if b { "ok" } else { "FAILED" };
        println!(
            "check:      hash {}, inclusion {}, signature {}",
            yes(check.hash_ok),
            yes(check.inclusion_ok),
            yes(check.signature_ok)
        );
    }
    Ok(if check.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A typical call record's audit event, varied so no two are identical.
fn sample_event(i: u64) -> AuditEvent {
    let path = format!("/v1/accounts/{i}");
    let call = CallRecord {
        time: Timestamp::from_secs(1_700_000_000 + i as i64),
        client_ip: Some(std::net::IpAddr::from([203, 0, 113, (i % 250) as u8])),
        method: Some(Method::Get),
        host: Some(Cow::Borrowed("api.bank.example")),
        path: Cow::Owned(path),
        status: 200,
        ..Default::default()
    };
    let key = EndpointKey::new("GET", "api.bank.example", "/v1/accounts/{id}");
    AuditEvent::Call(Box::new(CallAudit::new(
        &call,
        Some(&key),
        &Verdict::default(),
    )))
}

struct Run {
    policy: &'static str,
    mode: &'static str,
    records: u64,
    secs: f64,
}

pub(crate) fn bench(a: &BenchAuditArgs) -> anyhow::Result<ExitCode> {
    let base = a
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("linkwell-audit-bench-{}", std::process::id()));
    let events: Arc<Vec<AuditEvent>> = Arc::new((0..1024).map(sample_event).collect());
    let policies = [
        ("always", FsyncPolicy::Always),
        ("interval-10ms", FsyncPolicy::IntervalMs(10)),
        ("never", FsyncPolicy::Never),
    ];
    let mut runs = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for (i, (name, policy)) in policies.iter().enumerate() {
            let cfg = AuditConfig {
                fsync: *policy,
                ..Default::default()
            };
            let dir = base.join(format!("{i}-pipelined"));
            let log = AuditLog::open(&dir, cfg.clone())?;
            let t = Instant::now();
            for n in 0..a.records {
                log.append(&events[(n % 1024) as usize])?;
            }
            log.flush()?;
            runs.push(Run {
                policy: name,
                mode: "pipelined",
                records: a.records,
                secs: t.elapsed().as_secs_f64(),
            });
            log.close()?;

            let dir = base.join(format!("{i}-callers"));
            let log = Arc::new(AuditLog::open(&dir, cfg)?);
            let callers = a.callers.max(1);
            let each = (a.records / 10 / callers).max(1);
            let t = Instant::now();
            let handles: Vec<_> = (0..callers)
                .map(|_| {
                    let (log, events) = (Arc::clone(&log), Arc::clone(&events));
                    std::thread::spawn(move || -> Result<(), linkwell_audit::AuditError> {
                        for n in 0..each {
                            let r = log.append(&events[(n % 1024) as usize])?;
                            log.wait_durable(r.seq)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a bench caller panicked"))??;
            }
            runs.push(Run {
                policy: name,
                mode: "waiting-callers",
                records: each * callers,
                secs: t.elapsed().as_secs_f64(),
            });
            drop(log);
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&base);
    result?;
    if a.json {
        let v: Vec<_> = runs
            .iter()
            .map(|r| {
                serde_json::json!({
                    "policy": r.policy,
                    "mode": r.mode,
                    "records": r.records,
                    "seconds": r.secs,
                    "records_per_sec": (r.records as f64 / r.secs.max(1e-9)).round(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "callers": a.callers,
                "runs": v
            }))?
        );
    } else {
        println!(
            "{:<15} {:<24} {:>9} {:>9} {:>12}",
            "policy", "mode", "records", "seconds", "records/s"
        );
        for r in &runs {
            let mode = if r.mode == "waiting-callers" {
                format!("{} waiting callers", a.callers)
            } else {
                "pipelined (1 writer)".into()
            };
            println!(
                "{:<15} {:<24} {:>9} {:>9.3} {:>12.0}",
                r.policy,
                mode,
                r.records,
                r.secs,
                r.records as f64 / r.secs.max(1e-9)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
