//! Calls: the compact row per call, the batching background writer, and the
//! drill-down queries.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use linkwell_core::call::CallRecord;
use linkwell_core::time::Timestamp;
use rusqlite::types::Value;
use rusqlite::{Connection, TransactionBehavior, params, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Longest stored path, in bytes (paths are attacker-controlled).
pub const MAX_PATH_LEN: usize = 1024;
/// Longest stored user agent, in bytes.
pub const MAX_USER_AGENT_LEN: usize = 512;
/// Longest stored identity, country or host, in bytes.
pub const MAX_SHORT_LEN: usize = 256;

/// A compact owned row per call (what the dashboard drills down to).
///
/// The query string is deliberately absent: it is where credentials and card
/// numbers leak, and the store must not become a second copy of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRow {
    pub time: Timestamp,
    /// Index into the scan's inputs.
    pub input: u32,
    pub line: u64,
    pub client_ip: Option<String>,
    pub method: String,
    pub host: String,
    /// The path without the query string, as received (percent-encoded).
    pub path: String,
    /// The endpoint template the inventory matched this call to.
    pub template: String,
    pub status: u16,
    pub latency_us: Option<u64>,
    pub request_bytes: Option<u64>,
    pub response_bytes: Option<u64>,
    pub user_agent: Option<String>,
    /// The principal, or the login name tried (as in `ClientRef::identity`).
    pub identity: Option<String>,
    pub country: Option<String>,
    pub asn: Option<u32>,
    /// Finding kind names triggered on this call.
    pub findings: Vec<String>,
    /// The engine's action name (`allow`, `block`, ...).
    pub action: String,
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn clip(s: &str, max: usize) -> String {
    s[..s.floor_char_boundary(max)].to_owned()
}

impl CallRow {
    /// Builds the stored row of a call. `template` is the inventory's
    /// endpoint template, `findings` the kind names the engine raised on
    /// this call and `action` its action name. A missing method is stored as
    /// `-`; long attacker-controlled strings are clipped (see the `MAX_*`
    /// constants).
    pub fn from_call(
        call: &CallRecord<'_>,
        template: &str,
        findings: &[&str],
        action: &str,
    ) -> CallRow {
        let identity = call
            .identity
            .principal()
            .or(call.identity.login_user.as_deref())
            .or(call.identity.basic_user.as_deref());
        CallRow {
            time: call.time,
            input: call.source.input,
            line: call.source.line,
            client_ip: call.client_ip.map(|ip| ip.to_string()),
            method: call
                .method
                .as_ref()
                .map_or_else(|| "-".to_owned(), |m| clip(m.as_str(), MAX_SHORT_LEN)),
            host: call
                .host
                .as_deref()
                .map_or_else(String::new, |h| clip(h, MAX_SHORT_LEN)),
            path: clip(&call.path, MAX_PATH_LEN),
            template: clip(template, MAX_PATH_LEN),
            status: call.status,
            latency_us: call.latency_us,
            request_bytes: call.request_bytes,
            response_bytes: call.response_bytes,
            user_agent: call
                .user_agent
                .as_deref()
                .map(|s| clip(s, MAX_USER_AGENT_LEN)),
            identity: identity.map(|s| clip(s, MAX_SHORT_LEN)),
            country: call.country.as_deref().map(|s| clip(s, MAX_SHORT_LEN)),
            asn: call.asn,
            findings: findings.iter().map(|s| (*s).to_owned()).collect(),
            action: action.to_owned(),
        }
    }
}

/// Drill-down filters; all set filters must match. Status bounds are
/// inclusive; the time range is `since <= time < until`.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub client_ip: Option<String>,
    pub template: Option<String>,
    pub status_min: Option<u16>,
    pub status_max: Option<u16>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// Tuning of a [`CallWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallWriterOptions {
    /// Rows queued (buffered and in the channel) before [`CallWriter::send`]
    /// blocks; at least one chunk.
    pub channel_capacity: usize,
    /// Rows per transaction (a transaction may exceed it by less than a chunk).
    pub batch_size: usize,
    /// Rows a producer buffers before handing them to the writer thread as
    /// one message. Per-row messages would cost a thread wake-up per row
    /// once the channel is full (measured: half the throughput).
    pub chunk_size: usize,
    /// Buffered rows older than this are handed over at the next `send`, and
    /// a partial transaction is committed after waiting this long, so
    /// readers see a slow stream of calls promptly. Rows are never held
    /// beyond [`CallWriter::flush`] or [`CallWriter::finish`].
    pub flush_interval: Duration,
}

impl Default for CallWriterOptions {
    fn default() -> Self {
        CallWriterOptions {
            channel_capacity: 16 * 1024,
            batch_size: 1000,
            chunk_size: 256,
            flush_interval: Duration::from_millis(250),
        }
    }
}

/// Calls in one minute, from the rollup the writer maintains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteCount {
    pub minute: Timestamp,
    pub calls: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    /// Calls that raised at least one finding.
    pub flagged: u64,
}

/// Rows a producer has queued but not yet handed to the writer thread.
#[derive(Debug)]
struct Pending {
    rows: Vec<CallRow>,
    since: Instant,
}

/// Writes calls from a background thread with its own connection, batching
/// rows into transactions. `Sync`: several producer threads may share one.
/// Dropping it without [`CallWriter::finish`] still flushes and joins, but
/// loses the error, if any.
#[derive(Debug)]
pub struct CallWriter {
    tx: Option<SyncSender<Vec<CallRow>>>,
    pending: Mutex<Pending>,
    chunk: usize,
    max_age: Duration,
    handle: Option<JoinHandle<Result<u64, StoreError>>>,
}

impl CallWriter {
    pub(crate) fn spawn(
        conn: Connection,
        scan_id: i64,
        opts: CallWriterOptions,
    ) -> Result<CallWriter, StoreError> {
        if opts.batch_size == 0 {
            return Err(StoreError::InvalidOption("batch_size must be at least 1"));
        }
        if opts.chunk_size == 0 {
            return Err(StoreError::InvalidOption("chunk_size must be at least 1"));
        }
        if opts.channel_capacity == 0 {
            return Err(StoreError::InvalidOption(
                "channel_capacity must be at least 1",
            ));
        }
        // The writer's own connection: a 64 MiB page cache keeps the three
        // secondary indexes' hot pages in memory, and a 64 MiB WAL before
        // auto-checkpoint lets checkpoints write each page once for many
        // batches.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        let chunk = opts.chunk_size.min(opts.channel_capacity);
        let (tx, rx) = sync_channel((opts.channel_capacity / chunk).max(1));
        let handle = std::thread::Builder::new()
            .name("linkwell-store-calls".into())
            .spawn(move || run(conn, scan_id, rx, opts))
            .map_err(|source| StoreError::Io {
                path: "<call writer thread>".into(),
                source,
            })?;
        Ok(CallWriter {
            tx: Some(tx),
            pending: Mutex::new(Pending {
                rows: Vec::with_capacity(chunk),
                since: Instant::now(),
            }),
            chunk,
            max_age: opts.flush_interval,
            handle: Some(handle),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // Only `Vec::push` runs under the lock; a poisoned lock still holds
        // consistent rows.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn ship(&self, rows: Vec<CallRow>) -> Result<(), StoreError> {
        match &self.tx {
            Some(tx) => tx.send(rows).map_err(|_| StoreError::WriterClosed),
            None => Err(StoreError::WriterClosed),
        }
    }

    /// Queues one row. Blocks while the queue is full (back-pressure: memory
    /// stays bounded and no row is dropped). Fails with
    /// [`StoreError::WriterClosed`] if the writer thread stopped on an error;
    /// [`CallWriter::finish`] then returns that error.
    pub fn send(&self, row: CallRow) -> Result<(), StoreError> {
        let ready = {
            let mut p = self.lock();
            if p.rows.is_empty() {
                p.since = Instant::now();
            }
            p.rows.push(row);
            (p.rows.len() >= self.chunk || p.since.elapsed() >= self.max_age)
                .then(|| std::mem::replace(&mut p.rows, Vec::with_capacity(self.chunk)))
        };
        // The lock is released before the send, which may block.
        match ready {
            Some(rows) => self.ship(rows),
            None => Ok(()),
        }
    }

    /// Hands the buffered rows to the writer thread now (a live source that
    /// goes quiet calls this on a timer so its last rows become visible).
    pub fn flush(&self) -> Result<(), StoreError> {
        let rows = std::mem::take(&mut self.lock().rows);
        if rows.is_empty() {
            return Ok(());
        }
        self.ship(rows)
    }

    /// Flushes the remaining rows, joins the thread and returns the number of
    /// rows written.
    pub fn finish(mut self) -> Result<u64, StoreError> {
        let flushed = self.flush();
        drop(self.tx.take());
        let written = match self.handle.take() {
            Some(h) => h.join().map_err(|_| StoreError::WriterPanicked)?,
            None => Ok(0),
        };
        // The thread's own error explains a failed last send best.
        let written = written?;
        flushed?;
        Ok(written)
    }
}

impl Drop for CallWriter {
    fn drop(&mut self) {
        let _ = self.flush();
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The writer thread: gather chunks until `batch_size` rows (or whatever
/// arrived within `flush_interval` of the first chunk), write them in one
/// transaction.
fn run(
    mut conn: Connection,
    scan_id: i64,
    rx: Receiver<Vec<CallRow>>,
    opts: CallWriterOptions,
) -> Result<u64, StoreError> {
    let mut batch: Vec<CallRow> = Vec::with_capacity(opts.batch_size + opts.chunk_size);
    let mut written = 0u64;
    loop {
        let Ok(first) = rx.recv() else {
            return wrap_up(&conn, written);
        };
        batch.extend(first);
        let deadline = Instant::now() + opts.flush_interval;
        let mut open = true;
        while batch.len() < opts.batch_size {
            // Drain what is already queued without looking at the clock.
            match rx.try_recv() {
                Ok(rows) => {
                    batch.extend(rows);
                    continue;
                }
                Err(TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
                Err(TryRecvError::Empty) => {}
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match rx.recv_timeout(deadline - now) {
                Ok(rows) => batch.extend(rows),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        write_batch(&mut conn, scan_id, &batch)?;
        written += batch.len() as u64;
        batch.clear();
        if !open {
            return wrap_up(&conn, written);
        }
    }
}

/// After the last batch: fold the WAL back into the database so later
/// readers start from a small WAL, and refresh the planner statistics the
/// drill-down queries rely on to pick the right index (bounded work).
fn wrap_up(conn: &Connection, written: u64) -> Result<u64, StoreError> {
    if written > 0 {
        // PASSIVE never waits for readers; a busy result is not an error.
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        conn.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize;")?;
    }
    Ok(written)
}

const INSERT_CALL: &str = "INSERT INTO calls (scan_id, time, input, line, client_ip, method, host,
    path, template, status, latency_us, request_bytes, response_bytes, user_agent, identity,
    country, asn, findings, action)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

const UPSERT_MINUTE: &str = "INSERT INTO call_minutes (scan_id, minute, method, host, template,
    calls, s2xx, s3xx, s4xx, s5xx, s_other, flagged, latency_n, latency_sum_us, latency_max_us)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
    ON CONFLICT (scan_id, minute, template, method, host) DO UPDATE SET
        calls = calls + excluded.calls,
        s2xx = s2xx + excluded.s2xx,
        s3xx = s3xx + excluded.s3xx,
        s4xx = s4xx + excluded.s4xx,
        s5xx = s5xx + excluded.s5xx,
        s_other = s_other + excluded.s_other,
        flagged = flagged + excluded.flagged,
        latency_n = latency_n + excluded.latency_n,
        latency_sum_us = latency_sum_us + excluded.latency_sum_us,
        latency_max_us = max(latency_max_us, excluded.latency_max_us)";

#[derive(Default)]
struct MinuteAgg {
    calls: i64,
    s2xx: i64,
    s3xx: i64,
    s4xx: i64,
    s5xx: i64,
    other: i64,
    flagged: i64,
    latency_n: i64,
    latency_sum: i64,
    latency_max: i64,
}

const MINUTE: i64 = 60 * Timestamp::MICROS_PER_SEC;

fn write_batch(conn: &mut Connection, scan_id: i64, batch: &[CallRow]) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock up front (waiting out other writers via
    // busy_timeout) instead of failing to upgrade a stale read snapshot.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut ins = tx.prepare_cached(INSERT_CALL)?;
        let mut minutes: HashMap<(i64, &str, &str, &str), MinuteAgg> = HashMap::new();
        for r in batch {
            let findings = if r.findings.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&r.findings)?)
            };
            ins.execute(params![
                scan_id,
                r.time.0,
                r.input,
                r.line,
                r.client_ip,
                r.method,
                r.host,
                r.path,
                r.template,
                r.status,
                r.latency_us,
                r.request_bytes,
                r.response_bytes,
                r.user_agent,
                r.identity,
                r.country,
                r.asn,
                findings,
                r.action,
            ])?;

            let minute = r.time.0.div_euclid(MINUTE) * MINUTE;
            let a = minutes
                .entry((minute, &r.method, &r.host, &r.template))
                .or_default();
            a.calls += 1;
            match r.status {
                200..=299 => a.s2xx += 1,
                300..=399 => a.s3xx += 1,
                400..=499 => a.s4xx += 1,
                500..=599 => a.s5xx += 1,
                _ => a.other += 1,
            }
            if !r.findings.is_empty() {
                a.flagged += 1;
            }
            if let Some(l) = r.latency_us {
                let l = i64::try_from(l).unwrap_or(i64::MAX);
                a.latency_n += 1;
                a.latency_sum = a.latency_sum.saturating_add(l);
                a.latency_max = a.latency_max.max(l);
            }
        }
        let mut up = tx.prepare_cached(UPSERT_MINUTE)?;
        for ((minute, method, host, template), a) in minutes {
            up.execute(params![
                scan_id,
                minute,
                method,
                host,
                template,
                a.calls,
                a.s2xx,
                a.s3xx,
                a.s4xx,
                a.s5xx,
                a.other,
                a.flagged,
                a.latency_n,
                a.latency_sum,
                a.latency_max,
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(crate) fn count(conn: &Connection, scan_id: i64) -> Result<u64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM calls WHERE scan_id = ?1",
        [scan_id],
        |r| r.get(0),
    )?)
}

pub(crate) fn query(
    conn: &Connection,
    scan_id: i64,
    f: &CallFilter,
    limit: usize,
) -> Result<Vec<CallRow>, StoreError> {
    let mut sql = String::from(
        "SELECT time, input, line, client_ip, method, host, path, template, status, latency_us,
             request_bytes, response_bytes, user_agent, identity, country, asn, findings, action
         FROM calls WHERE scan_id = ?",
    );
    let mut args: Vec<Value> = vec![Value::Integer(scan_id)];
    let mut cond = |clause: &str, v: Value| {
        sql.push_str(" AND ");
        sql.push_str(clause);
        args.push(v);
    };
    if let Some(ip) = &f.client_ip {
        cond("client_ip = ?", Value::Text(ip.clone()));
    }
    if let Some(t) = &f.template {
        cond("template = ?", Value::Text(t.clone()));
    }
    if let Some(s) = f.status_min {
        cond("status >= ?", Value::Integer(s.into()));
    }
    if let Some(s) = f.status_max {
        cond("status <= ?", Value::Integer(s.into()));
    }
    if let Some(t) = f.since {
        cond("time >= ?", Value::Integer(t.0));
    }
    if let Some(t) = f.until {
        cond("time < ?", Value::Integer(t.0));
    }
    sql.push_str(" ORDER BY time, id LIMIT ?");
    args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));

    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let findings: Option<String> = r.get(16)?;
        let findings = match findings {
            None => Vec::new(),
            Some(s) => serde_json::from_str(&s).map_err(|e| StoreError::Corrupt {
                table: "calls",
                column: "findings",
                detail: e.to_string(),
            })?,
        };
        out.push(CallRow {
            time: Timestamp(r.get(0)?),
            input: r.get(1)?,
            line: r.get(2)?,
            client_ip: r.get(3)?,
            method: r.get(4)?,
            host: r.get(5)?,
            path: r.get(6)?,
            template: r.get(7)?,
            status: r.get(8)?,
            latency_us: r.get(9)?,
            request_bytes: r.get(10)?,
            response_bytes: r.get(11)?,
            user_agent: r.get(12)?,
            identity: r.get(13)?,
            country: r.get(14)?,
            asn: r.get(15)?,
            findings,
            action: r.get(17)?,
        });
    }
    Ok(out)
}

pub(crate) fn per_minute(conn: &Connection, scan_id: i64) -> Result<Vec<MinuteCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT minute, sum(calls), sum(s4xx), sum(s5xx), sum(flagged)
         FROM call_minutes WHERE scan_id = ?1 GROUP BY minute ORDER BY minute",
    )?;
    let mut rows = stmt.query([scan_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(MinuteCount {
            minute: Timestamp(r.get(0)?),
            calls: r.get(1)?,
            client_errors: r.get(2)?,
            server_errors: r.get(3)?,
            flagged: r.get(4)?,
        });
    }
    Ok(out)
}
