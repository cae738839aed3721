//! Audit append throughput under each fsync policy: 1000 records appended
//! (group-committed by the writer thread), then waited on until durable.
//!
//! `cargo bench -p linkwell-audit --bench append`

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use linkwell_audit::{AuditConfig, AuditEvent, AuditLog, CallAudit, FsyncPolicy};
use linkwell_core::{CallRecord, EndpointKey, Method, Timestamp, Verdict};

fn event(i: u64) -> AuditEvent {
    let call = CallRecord {
        time: Timestamp::from_secs(1_700_000_000 + i as i64),
        client_ip: Some(std::net::IpAddr::from([203, 0, 113, (i % 250) as u8])),
        method: Some(Method::Get),
        host: Some(Cow::Borrowed("api.bank.example")),
        path: Cow::Owned(format!("/v1/accounts/{i}")),
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

fn append(c: &mut Criterion) {
    const BATCH: u64 = 1000;
    let events: Vec<AuditEvent> = (0..BATCH).map(event).collect();
    let mut g = c.benchmark_group("audit_append");
    g.throughput(Throughput::Elements(BATCH));
    g.sample_size(10);
    for (name, policy) in [
        ("always", FsyncPolicy::Always),
        ("interval_10ms", FsyncPolicy::IntervalMs(10)),
        ("never", FsyncPolicy::Never),
    ] {
        let t = tempfile::tempdir().unwrap();
        let log = AuditLog::open(
            t.path(),
            AuditConfig {
                fsync: policy,
                ..Default::default()
            },
        )
        .unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut last = 0;
                for e in &events {
                    last = log.append(e).unwrap().seq;
                }
                log.wait_durable(last).unwrap();
            })
        });
        log.close().unwrap();
    }
    g.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
