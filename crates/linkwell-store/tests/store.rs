mod common;

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::{T0, rich_scan, row};
use linkwell_core::call::{CallRecord, Identity, Method, SourceRef};
use linkwell_core::scan::ScanOutput;
use linkwell_core::time::Timestamp;
use linkwell_store::{
    CallFilter, CallRow, CallWriterOptions, DB_FILE, SCHEMA_VERSION, Store, StoreError,
};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn save_and_latest_round_trip_equal() {
    let dir = tmp();
    let path = dir.path().join("nested/store");
    let scan = rich_scan();
    let id = {
        let mut store = Store::create(&path).unwrap();
        let id = store.save_scan(&scan).unwrap();
        let (latest_id, latest) = store.latest_scan().unwrap().expect("a scan");
        assert_eq!(latest_id, id);
        assert_eq!(latest, scan);
        id
    };
    assert!(path.join(DB_FILE).is_file());

    // And from a fresh connection.
    let store = Store::open(&path).unwrap();
    let (latest_id, latest) = store.latest_scan().unwrap().expect("a scan");
    assert_eq!(latest_id, id);
    assert_eq!(latest, scan);
    assert_eq!(store.endpoints(id).unwrap(), scan.endpoints);
    assert_eq!(store.findings(id).unwrap(), scan.findings);
    assert_eq!(store.scan(id).unwrap(), scan);
}

#[test]
fn empty_scan_round_trips() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let scan = ScanOutput::default();
    let id = store.save_scan(&scan).unwrap();
    assert_eq!(store.latest_scan().unwrap(), Some((id, scan)));
}

#[test]
fn latest_is_the_newest_complete_scan() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    assert_eq!(store.latest_scan().unwrap(), None);
    let mut first = rich_scan();
    first.summary.lines = 1;
    let a = store.save_scan(&first).unwrap();
    let second = rich_scan();
    let b = store.save_scan(&second).unwrap();
    assert!(b > a);
    // A scan still running is not "latest".
    let running = store.begin_scan().unwrap();
    assert!(running > b);
    let (id, latest) = store.latest_scan().unwrap().unwrap();
    assert_eq!(id, b);
    assert_eq!(latest, second);
    assert_eq!(store.scan(a).unwrap(), first);

    let list = store.scans().unwrap();
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        [running, b, a]
    );
    assert!(list[0].completed_at.is_none());
    assert!(list[1].completed_at.is_some());
    assert_eq!(list[1].calls, second.summary.calls);
}

#[test]
fn begin_write_calls_complete() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    let writer = store.call_writer(id).unwrap();
    for i in 0..2500 {
        writer.send(row(i)).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), 2500);
    let scan = rich_scan();
    store.complete_scan(id, &scan).unwrap();
    assert_eq!(store.latest_scan().unwrap(), Some((id, scan.clone())));
    assert_eq!(store.count_calls(id).unwrap(), 2500);
    assert!(matches!(
        store.complete_scan(id, &scan),
        Err(StoreError::ScanAlreadyComplete(i)) if i == id
    ));
    assert!(matches!(
        store.complete_scan(9999, &scan),
        Err(StoreError::NoSuchScan(9999))
    ));
}

#[test]
fn create_twice_keeps_existing_scans() {
    let dir = tmp();
    let id = Store::create(dir.path())
        .unwrap()
        .save_scan(&rich_scan())
        .unwrap();
    let store = Store::create(dir.path()).unwrap();
    assert_eq!(store.latest_scan().unwrap().map(|(i, _)| i), Some(id));
}

#[test]
fn open_missing_is_not_a_store() {
    let dir = tmp();
    let missing = dir.path().join("nope");
    match Store::open(&missing) {
        Err(StoreError::NotAStore(p)) => assert_eq!(p, missing),
        other => panic!("expected NotAStore, got {other:?}"),
    }
    // An existing directory without a database is not a store either...
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::NotAStore(_))
    ));
    // ...and open must not have created one.
    assert!(!dir.path().join(DB_FILE).exists());
}

#[test]
fn open_garbage_or_foreign_db_is_not_a_store() {
    let dir = tmp();
    std::fs::write(
        dir.path().join(DB_FILE),
        b"this is not a database, it is a text file of some length ...........................................................",
    )
    .unwrap();
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::NotAStore(_))
    ));
    assert!(matches!(
        Store::create(dir.path()),
        Err(StoreError::NotAStore(_))
    ));

    let other = tmp();
    let conn = rusqlite::Connection::open(other.path().join(DB_FILE)).unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(other.path()),
        Err(StoreError::NotAStore(_))
    ));
    assert!(matches!(
        Store::create(other.path()),
        Err(StoreError::NotAStore(_))
    ));
}

#[test]
fn schema_version_is_recorded() {
    let dir = tmp();
    let store = Store::create(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);

    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let (version, applied): (u32, i64) = conn
        .query_row(
            "SELECT version, applied_at FROM schema_version ORDER BY version DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert!(
        applied > T0 - 86_400_000_000 * 365,
        "applied_at is a real time"
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let indexes: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'calls' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        indexes,
        [
            "calls_scan_client",
            "calls_scan_template",
            "calls_scan_time"
        ]
    );
}

#[test]
fn newer_schema_is_refused() {
    let dir = tmp();
    drop(Store::create(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute(
        "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)",
        [],
    )
    .unwrap();
    drop(conn);
    match Store::open(dir.path()) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, 99);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert!(matches!(
        Store::create(dir.path()),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
fn writer_stores_50k_rows() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    let writer = store.call_writer(id).unwrap();
    let n = 50_000u64;
    for i in 0..n {
        writer.send(row(i)).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), n);
    assert_eq!(store.count_calls(id).unwrap(), n);
    // Another scan's calls are not counted.
    let other = store.begin_scan().unwrap();
    assert_eq!(store.count_calls(other).unwrap(), 0);

    // The per-minute rollup agrees with the raw rows.
    let minutes = store.calls_per_minute(id).unwrap();
    assert_eq!(minutes.iter().map(|m| m.calls).sum::<u64>(), n);
    assert_eq!(minutes.iter().map(|m| m.client_errors).sum::<u64>(), n / 10);
    assert_eq!(minutes.iter().map(|m| m.flagged).sum::<u64>(), n / 100);
    assert!(minutes.windows(2).all(|w| w[0].minute < w[1].minute));
    assert!(minutes.iter().all(|m| m.minute.0 % 60_000_000 == 0));
    // 50k rows 10 ms apart from 10:00:00.123: 10:00 to 10:08, nine minutes.
    assert_eq!(minutes.len(), 9);
    assert_eq!(minutes[0].minute, Timestamp(1_772_445_600_000_000));
}

#[test]
fn rows_round_trip_exactly() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    let writer = store.call_writer(id).unwrap();
    let rows: Vec<CallRow> = (0..300).map(row).collect();
    for r in &rows {
        writer.send(r.clone()).unwrap();
    }
    writer.finish().unwrap();
    let back = store.calls(id, &CallFilter::default(), 10_000).unwrap();
    assert_eq!(back, rows);
    assert_eq!(
        store.calls(id, &CallFilter::default(), 7).unwrap(),
        rows[..7]
    );
    assert!(
        store
            .calls(id, &CallFilter::default(), 0)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn filters_return_the_right_rows() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    let other = store.begin_scan().unwrap();
    let mk = |i: i64, ip: &str, template: &str, status: u16| CallRow {
        time: Timestamp(T0 + i * 1_000_000),
        client_ip: Some(ip.into()),
        template: template.into(),
        status,
        ..row(0)
    };
    // Deliberately out of time order: results come back ordered by time, then id.
    let rows = vec![
        mk(5, "10.0.0.1", "/a", 200),
        mk(1, "10.0.0.2", "/a", 404),
        mk(3, "10.0.0.1", "/b", 500),
        mk(3, "10.0.0.1", "/a", 401),
        mk(9, "10.0.0.3", "/b", 302),
        CallRow {
            client_ip: None,
            ..mk(2, "", "/a", 0)
        },
    ];
    let w = store.call_writer(id).unwrap();
    for r in &rows {
        w.send(r.clone()).unwrap();
    }
    w.finish().unwrap();
    let w = store.call_writer(other).unwrap();
    w.send(mk(4, "10.0.0.1", "/a", 200)).unwrap();
    w.finish().unwrap();

    let q = |f: CallFilter| -> Vec<(i64, u16)> {
        store
            .calls(id, &f, 100)
            .unwrap()
            .into_iter()
            .map(|r| ((r.time.0 - T0) / 1_000_000, r.status))
            .collect()
    };
    assert_eq!(
        q(CallFilter::default()),
        [(1, 404), (2, 0), (3, 500), (3, 401), (5, 200), (9, 302)]
    );
    assert_eq!(
        q(CallFilter {
            client_ip: Some("10.0.0.1".into()),
            ..CallFilter::default()
        }),
        [(3, 500), (3, 401), (5, 200)]
    );
    assert_eq!(
        q(CallFilter {
            template: Some("/b".into()),
            ..CallFilter::default()
        }),
        [(3, 500), (9, 302)]
    );
    assert_eq!(
        q(CallFilter {
            status_min: Some(400),
            status_max: Some(499),
            ..CallFilter::default()
        }),
        [(1, 404), (3, 401)]
    );
    assert_eq!(
        q(CallFilter {
            since: Some(Timestamp(T0 + 3_000_000)),
            until: Some(Timestamp(T0 + 9_000_000)),
            ..CallFilter::default()
        }),
        [(3, 500), (3, 401), (5, 200)]
    );
    assert_eq!(
        q(CallFilter {
            client_ip: Some("10.0.0.1".into()),
            template: Some("/a".into()),
            status_min: Some(300),
            ..CallFilter::default()
        }),
        [(3, 401)]
    );
    assert_eq!(
        q(CallFilter {
            client_ip: Some("' OR 1=1 --".into()),
            ..CallFilter::default()
        }),
        []
    );
}

#[test]
fn small_channel_back_pressure_delivers_every_row() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    let writer = store
        .call_writer_with(
            id,
            CallWriterOptions {
                channel_capacity: 1,
                chunk_size: 1,
                batch_size: 7,
                flush_interval: Duration::from_millis(1),
            },
        )
        .unwrap();
    // Three producers share the writer; each send may block on the full channel.
    std::thread::scope(|s| {
        for t in 0..3u64 {
            let w = &writer;
            s.spawn(move || {
                for i in 0..5000 {
                    w.send(row(t * 100_000 + i)).unwrap();
                }
            });
        }
    });
    assert_eq!(writer.finish().unwrap(), 15_000);
    assert_eq!(store.count_calls(id).unwrap(), 15_000);
    let lines: std::collections::HashSet<u64> = store
        .calls(id, &CallFilter::default(), 20_000)
        .unwrap()
        .into_iter()
        .map(|r| r.line)
        .collect();
    assert_eq!(lines.len(), 15_000, "no row lost or duplicated");
}

#[test]
fn send_blocks_while_the_writer_is_stalled() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    // Another connection holds the write lock, so the writer thread stalls.
    let blocker = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let writer = store
        .call_writer_with(
            id,
            CallWriterOptions {
                channel_capacity: 4,
                chunk_size: 1,
                batch_size: 2,
                flush_interval: Duration::from_millis(1),
            },
        )
        .unwrap();
    let sent = AtomicUsize::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..1000 {
                writer.send(row(i)).unwrap();
                sent.fetch_add(1, Ordering::SeqCst);
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        let queued = sent.load(Ordering::SeqCst);
        // Queue (4) + the batch the writer holds (<= 2 + 1) + one in hand.
        assert!(
            (1..=8).contains(&queued),
            "{queued} rows accepted while stalled"
        );
        blocker.execute_batch("ROLLBACK").unwrap();
    });
    assert_eq!(writer.finish().unwrap(), 1000);
    assert_eq!(store.count_calls(id).unwrap(), 1000);
}

#[test]
fn chunked_small_queue_with_many_producers() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    let writer = store
        .call_writer_with(
            id,
            CallWriterOptions {
                channel_capacity: 6,
                chunk_size: 3,
                batch_size: 10,
                flush_interval: Duration::from_millis(1),
            },
        )
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let w = &writer;
            s.spawn(move || {
                for i in 0..2501 {
                    w.send(row(t * 100_000 + i)).unwrap();
                }
            });
        }
    });
    assert_eq!(writer.finish().unwrap(), 4 * 2501);
    assert_eq!(store.count_calls(id).unwrap(), 4 * 2501);
}

#[test]
fn readers_see_batches_while_the_writer_runs() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    let writer = store
        .call_writer_with(
            id,
            CallWriterOptions {
                batch_size: 1000,
                flush_interval: Duration::from_millis(20),
                ..CallWriterOptions::default()
            },
        )
        .unwrap();
    for i in 0..1500 {
        writer.send(row(i)).unwrap();
    }
    // Rows still buffered by this producer are handed over by flush().
    writer.flush().unwrap();
    // The writer is still open; the committed rows are visible through WAL.
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.count_calls(id).unwrap() < 1500 {
        assert!(Instant::now() < deadline, "rows never became visible");
        std::thread::sleep(Duration::from_millis(5));
    }
    let reader = Store::open(dir.path()).unwrap();
    assert_eq!(reader.count_calls(id).unwrap(), 1500);
    writer.send(row(1500)).unwrap();
    assert_eq!(writer.finish().unwrap(), 1501);
    assert_eq!(reader.count_calls(id).unwrap(), 1501);
}

#[test]
fn writer_for_unknown_scan_and_bad_options() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    assert!(matches!(
        store.call_writer(42),
        Err(StoreError::NoSuchScan(42))
    ));
    let id = store.begin_scan().unwrap();
    for opts in [
        CallWriterOptions {
            channel_capacity: 0,
            ..CallWriterOptions::default()
        },
        CallWriterOptions {
            chunk_size: 0,
            ..CallWriterOptions::default()
        },
        CallWriterOptions {
            batch_size: 0,
            ..CallWriterOptions::default()
        },
    ] {
        assert!(matches!(
            store.call_writer_with(id, opts),
            Err(StoreError::InvalidOption(_))
        ));
    }
    assert!(matches!(
        store.endpoints(42),
        Err(StoreError::NoSuchScan(42))
    ));
    assert!(matches!(
        store.findings(42),
        Err(StoreError::NoSuchScan(42))
    ));
    assert!(matches!(store.scan(42), Err(StoreError::NoSuchScan(42))));
}

#[test]
fn dropping_a_writer_still_flushes() {
    let dir = tmp();
    let mut store = Store::create(dir.path()).unwrap();
    let id = store.begin_scan().unwrap();
    {
        let w = store.call_writer(id).unwrap();
        for i in 0..10 {
            w.send(row(i)).unwrap();
        }
    }
    assert_eq!(store.count_calls(id).unwrap(), 10);
}

#[test]
fn from_call_maps_fields_and_drops_the_query() {
    let ip: IpAddr = "192.0.2.9".parse().unwrap();
    let long_ua = "U".repeat(5000);
    let call = CallRecord {
        time: Timestamp(T0),
        source: SourceRef { input: 3, line: 77 },
        client_ip: Some(ip),
        method: Some(Method::Post),
        host: Some(Cow::Borrowed("api.bank.example")),
        path: Cow::Borrowed("/v1/login"),
        query: Some(Cow::Borrowed("password=hunter2")),
        user_agent: Some(Cow::Owned(long_ua)),
        status: 401,
        latency_us: Some(1500),
        request_bytes: Some(88),
        identity: Identity {
            login_user: Some(Cow::Borrowed("bob")),
            ..Identity::default()
        },
        country: Some(Cow::Borrowed("NL")),
        asn: Some(1136),
        ..CallRecord::default()
    };
    let r = CallRow::from_call(&call, "/v1/login", &["brute-force"], "block");
    assert_eq!(r.time, Timestamp(T0));
    assert_eq!((r.input, r.line), (3, 77));
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.9"));
    assert_eq!(r.method, "POST");
    assert_eq!(r.host, "api.bank.example");
    assert_eq!(r.path, "/v1/login");
    assert_eq!(r.template, "/v1/login");
    assert_eq!(r.status, 401);
    assert_eq!(r.latency_us, Some(1500));
    assert_eq!(r.request_bytes, Some(88));
    assert_eq!(r.response_bytes, None);
    assert_eq!(r.identity.as_deref(), Some("bob"));
    assert_eq!(r.country.as_deref(), Some("NL"));
    assert_eq!(r.asn, Some(1136));
    assert_eq!(r.findings, ["brute-force"]);
    assert_eq!(r.action, "block");
    assert_eq!(
        r.user_agent.as_ref().map(String::len),
        Some(linkwell_store::MAX_USER_AGENT_LEN)
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("hunter2"));

    // A verified principal wins over the login name tried; no method gives "-".
    let call = CallRecord {
        identity: Identity {
            subject: Some(Cow::Borrowed("svc-payments")),
            login_user: Some(Cow::Borrowed("bob")),
            ..Identity::default()
        },
        ..CallRecord::default()
    };
    let r = CallRow::from_call(&call, "/", &[], "allow");
    assert_eq!(r.identity.as_deref(), Some("svc-payments"));
    assert_eq!(r.method, "-");
    assert!(r.findings.is_empty());
}
