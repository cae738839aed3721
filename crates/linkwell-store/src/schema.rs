//! Opening the database file, connection settings and versioned migrations.
//!
//! Every store carries a `schema_version` table with one row per applied
//! migration. Migrations only ever move forward; a store written by a newer
//! build is refused ([`StoreError::SchemaTooNew`]) rather than misread.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::StoreError;

/// The database file inside a store directory.
pub const DB_FILE: &str = "linkwell.db";

/// The newest schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// `PRAGMA application_id` of a Linkwell store ("LKWL"), so `file(1)` and
/// [`crate::Store::open`] can tell our database from any other SQLite file.
pub(crate) const APPLICATION_ID: i32 = 0x4C4B_574C;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1];

const V1: &str = r#"
CREATE TABLE scans (
    id             INTEGER PRIMARY KEY,
    status         TEXT    NOT NULL CHECK (status IN ('running', 'complete')),
    created_at     INTEGER NOT NULL,          -- µs since the epoch, UTC
    completed_at   INTEGER,
    scan_schema    INTEGER NOT NULL DEFAULT 0,
    lines          INTEGER NOT NULL DEFAULT 0,
    parsed         INTEGER NOT NULL DEFAULT 0,
    rejected       INTEGER NOT NULL DEFAULT 0,
    calls          INTEGER NOT NULL DEFAULT 0,
    endpoints      INTEGER NOT NULL DEFAULT 0,
    findings       INTEGER NOT NULL DEFAULT 0,
    elapsed_ms     INTEGER NOT NULL DEFAULT 0,
    first_seen     INTEGER,
    last_seen      INTEGER,
    classification TEXT    NOT NULL DEFAULT '[]', -- JSON [[name, count], ...]
    severity       TEXT    NOT NULL DEFAULT '[]'  -- JSON [[name, count], ...]
);

CREATE TABLE scan_inputs (
    scan_id  INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    ord      INTEGER NOT NULL,
    path     TEXT    NOT NULL,
    format   TEXT    NOT NULL,
    detected INTEGER NOT NULL,
    lines    INTEGER NOT NULL,
    parsed   INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    PRIMARY KEY (scan_id, ord)
);

CREATE TABLE rejected_lines (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    ord     INTEGER NOT NULL,
    input   TEXT    NOT NULL,
    line    INTEGER NOT NULL,
    reason  TEXT    NOT NULL,
    PRIMARY KEY (scan_id, ord)
);

CREATE TABLE timeline (
    scan_id       INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,
    start         INTEGER NOT NULL,
    calls         INTEGER NOT NULL,
    client_errors INTEGER NOT NULL,
    server_errors INTEGER NOT NULL,
    findings      INTEGER NOT NULL,
    PRIMARY KEY (scan_id, ord)
);

CREATE TABLE top_clients (
    scan_id       INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,
    ip            TEXT    NOT NULL,
    calls         INTEGER NOT NULL,
    client_errors INTEGER NOT NULL,
    findings      INTEGER NOT NULL,
    worst         TEXT,
    PRIMARY KEY (scan_id, ord)
);

CREATE TABLE endpoints (
    scan_id        INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    ord            INTEGER NOT NULL,
    method         TEXT    NOT NULL,
    host           TEXT    NOT NULL,
    template       TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    s1xx           INTEGER NOT NULL,
    s2xx           INTEGER NOT NULL,
    s3xx           INTEGER NOT NULL,
    s4xx           INTEGER NOT NULL,
    s5xx           INTEGER NOT NULL,
    s_other        INTEGER NOT NULL,
    status_codes   TEXT    NOT NULL,          -- JSON [[code, count], ...]
    lat_p50 REAL, lat_p90 REAL, lat_p99 REAL, lat_max REAL,
    req_p50 REAL, req_p90 REAL, req_p99 REAL, req_max REAL,
    resp_p50 REAL, resp_p90 REAL, resp_p99 REAL, resp_max REAL,
    auth           TEXT    NOT NULL,          -- JSON ["bearer", ...]
    query_params   TEXT    NOT NULL,          -- JSON
    body_params    TEXT    NOT NULL,          -- JSON
    sensitive      TEXT    NOT NULL,          -- JSON ["card-number", ...]
    clients        INTEGER NOT NULL,
    top_clients    TEXT    NOT NULL,          -- JSON [[ip, calls], ...]
    first_seen     INTEGER,
    last_seen      INTEGER,
    classification TEXT    NOT NULL,
    spec_path      TEXT,
    findings       INTEGER NOT NULL,
    risk_score     INTEGER NOT NULL,
    PRIMARY KEY (scan_id, ord)
);
CREATE INDEX endpoints_key ON endpoints (scan_id, template, method, host);
CREATE INDEX endpoints_risk ON endpoints (scan_id, risk_score);

CREATE TABLE findings (
    scan_id           INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    ord               INTEGER NOT NULL,
    kind              TEXT    NOT NULL,
    owasp             TEXT    NOT NULL,
    severity          TEXT    NOT NULL,
    severity_rank     INTEGER NOT NULL,       -- 0 info .. 4 critical, for ORDER BY
    confidence        REAL    NOT NULL,
    client_ip         TEXT,
    client_identity   TEXT,
    client_user_agent TEXT,
    endpoint_method   TEXT,                   -- all three NULL: no endpoint
    endpoint_host     TEXT,
    endpoint_template TEXT,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    evidence          TEXT    NOT NULL,       -- JSON Evidence
    explanation       TEXT    NOT NULL,
    cwe               INTEGER,
    PRIMARY KEY (scan_id, ord)
);
CREATE INDEX findings_severity ON findings (scan_id, severity_rank);
CREATE INDEX findings_client ON findings (scan_id, client_ip);
CREATE INDEX findings_endpoint ON findings (scan_id, endpoint_template);

-- One row per call. No foreign key: the scan is checked once when a writer
-- starts, not once per row. The client and template indexes end in `time`
-- so a filtered drill-down comes out of the index already ordered by
-- (time, id) (the rowid is the implicit last column of every index).
CREATE TABLE calls (
    id             INTEGER PRIMARY KEY,
    scan_id        INTEGER NOT NULL,
    time           INTEGER NOT NULL,
    input          INTEGER NOT NULL,
    line           INTEGER NOT NULL,
    client_ip      TEXT,
    method         TEXT    NOT NULL,
    host           TEXT    NOT NULL,
    path           TEXT    NOT NULL,
    template       TEXT    NOT NULL,
    status         INTEGER NOT NULL,
    latency_us     INTEGER,
    request_bytes  INTEGER,
    response_bytes INTEGER,
    user_agent     TEXT,
    identity       TEXT,
    country        TEXT,
    asn            INTEGER,
    findings       TEXT,                      -- JSON ["injection", ...], NULL when none
    action         TEXT    NOT NULL
);
CREATE INDEX calls_scan_time ON calls (scan_id, time);
CREATE INDEX calls_scan_client ON calls (scan_id, client_ip, time);
CREATE INDEX calls_scan_template ON calls (scan_id, template, time);

-- Per-minute, per-endpoint counters kept by the call writer, so dashboard
-- charts read thousands of rollup rows instead of scanning millions of calls.
CREATE TABLE call_minutes (
    scan_id        INTEGER NOT NULL,
    minute         INTEGER NOT NULL,          -- µs since the epoch, floored to the minute
    method         TEXT    NOT NULL,
    host           TEXT    NOT NULL,
    template       TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    s2xx           INTEGER NOT NULL,
    s3xx           INTEGER NOT NULL,
    s4xx           INTEGER NOT NULL,
    s5xx           INTEGER NOT NULL,
    s_other        INTEGER NOT NULL,          -- 1xx, 0 and out-of-range codes
    flagged        INTEGER NOT NULL,          -- calls with at least one finding
    latency_n      INTEGER NOT NULL,
    latency_sum_us INTEGER NOT NULL,
    latency_max_us INTEGER NOT NULL,
    PRIMARY KEY (scan_id, minute, template, method, host)
) WITHOUT ROWID;
"#;

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

pub(crate) fn now() -> linkwell_core::Timestamp {
    linkwell_core::Timestamp(now_micros())
}

/// Per-connection settings. `journal_mode=WAL` is persistent in the file;
/// the others must be set on every connection.
pub(crate) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unsupported(format!(
            "the file system refused WAL mode (got {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Opens `dir/linkwell.db`. With `create`, the file is created if missing.
pub(crate) fn open_connection(dir: &Path, create: bool) -> Result<Connection, StoreError> {
    let path = dir.join(DB_FILE);
    // No SQLITE_OPEN_URI: a directory named `file:...?mode=...` must stay a path.
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    } else if !path.is_file() {
        return Err(StoreError::NotAStore(dir.to_path_buf()));
    }
    let conn = Connection::open_with_flags(&path, flags).map_err(|e| not_a_db(e, dir))?;
    // The first statement is where SQLite notices a file that is not a database.
    let app_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| not_a_db(e, dir))?;
    if app_id != APPLICATION_ID && !(create && app_id == 0 && is_empty_db(&conn)?) {
        return Err(StoreError::NotAStore(dir.to_path_buf()));
    }
    configure(&conn)?;
    Ok(conn)
}

fn not_a_db(e: rusqlite::Error, dir: &Path) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotAStore(dir.to_path_buf()),
        _ => StoreError::Sqlite(e),
    }
}

fn is_empty_db(conn: &Connection) -> Result<bool, StoreError> {
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(n == 0)
}

/// The schema version recorded in the store, if the version table exists.
pub(crate) fn current_version(conn: &Connection) -> Result<Option<u32>, StoreError> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    let v: Option<u32> =
        conn.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))?;
    Ok(Some(v.unwrap_or(0)))
}

/// Brings the schema up to [`SCHEMA_VERSION`]. Each migration runs in its own
/// `BEGIN IMMEDIATE` transaction and re-reads the version inside it, so two
/// processes creating the same store at once do not both migrate.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = match current_version(&tx)? {
            Some(v) => v,
            None => {
                tx.execute_batch(
                    "CREATE TABLE schema_version (
                         version    INTEGER PRIMARY KEY,
                         applied_at INTEGER NOT NULL -- µs since the epoch, UTC
                     );",
                )?;
                tx.pragma_update(None, "application_id", APPLICATION_ID)?;
                0
            }
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(sql) = MIGRATIONS.get(version as usize) else {
            tx.commit()?;
            return Ok(version);
        };
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            (version + 1, now_micros()),
        )?;
        tx.commit()?;
    }
}
