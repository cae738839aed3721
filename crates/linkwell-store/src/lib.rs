//! The embedded store: one SQLite file per store directory.
//!
//! `linkwell scan --store DIR` writes a scan's results here; later commands
//! (`linkwell inventory export --store DIR`, the dashboard) read them back
//! without re-reading the logs. SQLite (bundled, so no system library) was
//! chosen over a key-value store because the dashboard needs ad-hoc SQL
//! aggregates and the admin tooling gets a file any `sqlite3` shell can open
//! (see `crates-and-style.md` §6 for the measurements behind the choice).
//!
//! # Layout
//!
//! `DIR/linkwell.db`, in WAL mode with `synchronous=NORMAL`: readers never
//! block the writer, and a power cut loses at most the last transactions,
//! never the file. `PRAGMA application_id` is `LKWL`, so [`Store::open`] can
//! tell a store from any other SQLite file ([`StoreError::NotAStore`]).
//!
//! # Schema (version [`SCHEMA_VERSION`])
//!
//! Columns are real columns wherever something is filtered, sorted or
//! aggregated; nested detail that is only ever displayed is JSON text.
//! Timestamps are `INTEGER` microseconds since the epoch (the JSON form of
//! [`Timestamp`] keeps only milliseconds, so it is
//! never used for storage), and quantiles are `REAL` columns (exact `f64`).
//!
//! | table | one row per | notes |
//! |---|---|---|
//! | `schema_version` | applied migration | `max(version)` is the schema version |
//! | `scans` | scan | summary numbers; `status` is `running` until [`Store::complete_scan`] |
//! | `scan_inputs`, `rejected_lines`, `timeline`, `top_clients` | item, by `ord` | the scan's small lists, order kept |
//! | `endpoints` | endpoint, by `ord` | status classes, latency and size quantiles as columns; params, auth, sensitive kinds, top clients as JSON |
//! | `findings` | finding, by `ord` | kind, OWASP id, severity (+ numeric rank), client and endpoint as columns; evidence as JSON |
//! | `calls` | call | [`CallRow`]; indexes `(scan_id, time)`, `(scan_id, client_ip, time)`, `(scan_id, template, time)` |
//! | `call_minutes` | scan × minute × endpoint | counters maintained by the [`CallWriter`] |
//!
//! Why it stays fast at 10⁶ calls and more:
//!
//! * calls are written by one background thread in transactions of about a
//!   thousand rows with a prepared statement ([`CallWriter`]); producers push
//!   into a small buffer handed over in chunks through a bounded channel (a
//!   message per row would cost a thread wake-up per row), and are slowed
//!   down (never allowed to grow memory, never dropped) when the disk falls
//!   behind;
//! * every drill-down filter has an index whose last column is `time`, so
//!   "calls of this client, in time order" is an index range scan, not a sort;
//! * charts (calls per minute, error rates, latency per endpoint) read
//!   `call_minutes`, which the writer keeps up to date with one upsert per
//!   distinct minute × endpoint per batch, so they never scan raw calls;
//! * the query string is never stored (it is where credentials leak), and
//!   attacker-controlled text is truncated, so a row stays small.
//!
//! # Writing a scan while its calls stream in
//!
//! ```no_run
//! # fn demo(scan: &linkwell_core::scan::ScanOutput, rows: Vec<linkwell_store::CallRow>)
//! #     -> Result<(), linkwell_store::StoreError> {
//! let mut store = linkwell_store::Store::create(std::path::Path::new("store"))?;
//! let id = store.begin_scan()?;              // reserves the id, status `running`
//! let writer = store.call_writer(id)?;       // background thread, own connection
//! for row in rows {
//!     writer.send(row)?;                     // blocks when the channel is full
//! }
//! writer.finish()?;                          // flushes and joins
//! store.complete_scan(id, scan)?;            // summary, endpoints, findings...
//! # Ok(()) }
//! ```
//!
//! [`Store::save_scan`] does `begin_scan` + `complete_scan` in one
//! transaction when there are no calls to store.

mod calls;
mod scans;
mod schema;

use std::path::{Path, PathBuf};

use linkwell_core::endpoint::EndpointSummary;
use linkwell_core::finding::Finding;
use linkwell_core::scan::ScanOutput;
use linkwell_core::time::Timestamp;
use rusqlite::{Connection, TransactionBehavior};

pub use calls::{
    CallFilter, CallRow, CallWriter, CallWriterOptions, MAX_PATH_LEN, MAX_SHORT_LEN,
    MAX_USER_AGENT_LEN, MinuteCount,
};
pub use schema::{DB_FILE, SCHEMA_VERSION};

/// Everything that can go wrong with a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: not a Linkwell store (no valid {DB_FILE})")]
    NotAStore(PathBuf),
    #[error(
        "the store has schema version {found}, this build supports up to {supported}; upgrade linkwell"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("no scan with id {0} in the store")]
    NoSuchScan(i64),
    #[error("scan {0} is already complete")]
    ScanAlreadyComplete(i64),
    #[error("corrupt data in {table}.{column}: {detail}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        detail: String,
    },
    #[error("JSON encoding: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the call writer has stopped; CallWriter::finish reports why")]
    WriterClosed,
    #[error("the call writer thread panicked")]
    WriterPanicked,
    #[error("invalid option: {0}")]
    InvalidOption(&'static str),
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// One scan as listed by [`Store::scans`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanInfo {
    pub id: i64,
    pub created_at: Timestamp,
    /// `None` while the scan is still running (or was interrupted).
    pub completed_at: Option<Timestamp>,
    pub calls: u64,
    pub endpoints: u64,
    pub findings: u64,
}

/// An open store. Not `Sync`: give each thread its own [`Store::open`].
pub struct Store {
    dir: PathBuf,
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

impl Store {
    /// Creates `dir` (and parents) and `dir/linkwell.db` and brings the schema
    /// up to date. An existing store is simply opened, so repeated
    /// `linkwell scan --store DIR` runs add scans to the same store; a `dir`
    /// holding some other SQLite file is refused with [`StoreError::NotAStore`].
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut conn = schema::open_connection(dir, true)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            conn,
        })
    }

    /// Opens an existing store: [`StoreError::NotAStore`] when `dir` holds no
    /// Linkwell database, [`StoreError::SchemaTooNew`] when a newer build wrote
    /// it. An older schema is migrated forward.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let mut conn = schema::open_connection(dir, false)?;
        match schema::current_version(&conn)? {
            None => return Err(StoreError::NotAStore(dir.to_path_buf())),
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::SchemaTooNew {
                    found: v,
                    supported: SCHEMA_VERSION,
                });
            }
            Some(v) if v < SCHEMA_VERSION => {
                schema::migrate(&mut conn)?;
            }
            Some(_) => {}
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            conn,
        })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The schema version recorded in the store.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::current_version(&self.conn)?.ok_or_else(|| StoreError::NotAStore(self.dir.clone()))
    }

    /// Saves one scan's results (summary, inputs, endpoints, findings,
    /// timeline, top clients, rejected lines) in one transaction; returns the
    /// new scan id.
    pub fn save_scan(&mut self, scan: &ScanOutput) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = scans::insert_running(&tx)?;
        scans::complete(&tx, id, scan)?;
        tx.commit()?;
        Ok(id)
    }

    /// Reserves a scan id (status `running`) so calls can be written with a
    /// [`CallWriter`] while the scan is still in progress.
    pub fn begin_scan(&mut self) -> Result<i64, StoreError> {
        scans::insert_running(&self.conn)
    }

    /// Stores the results of a scan started with [`Store::begin_scan`] and
    /// marks it complete, in one transaction.
    pub fn complete_scan(&mut self, scan_id: i64, scan: &ScanOutput) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        scans::complete(&tx, scan_id, scan)?;
        tx.commit()?;
        Ok(())
    }

    /// The most recent complete scan, reconstructed.
    pub fn latest_scan(&self) -> Result<Option<(i64, ScanOutput)>, StoreError> {
        let Some(id) = scans::latest_complete(&self.conn)? else {
            return Ok(None);
        };
        let scan = scans::load(&self.conn, id)?;
        Ok(Some((id, scan)))
    }

    /// One scan, reconstructed ([`StoreError::NoSuchScan`] if unknown). A scan
    /// still running comes back empty (its calls are in [`Store::calls`]).
    pub fn scan(&self, scan_id: i64) -> Result<ScanOutput, StoreError> {
        scans::load(&self.conn, scan_id)
    }

    /// All scans, newest first.
    pub fn scans(&self) -> Result<Vec<ScanInfo>, StoreError> {
        scans::list(&self.conn)
    }

    /// The endpoints of a scan, in the order they were saved.
    pub fn endpoints(&self, scan_id: i64) -> Result<Vec<EndpointSummary>, StoreError> {
        scans::require(&self.conn, scan_id)?;
        scans::load_endpoints(&self.conn, scan_id)
    }

    /// The findings of a scan, in the order they were saved.
    pub fn findings(&self, scan_id: i64) -> Result<Vec<Finding>, StoreError> {
        scans::require(&self.conn, scan_id)?;
        scans::load_findings(&self.conn, scan_id)
    }

    /// Starts a background writer for the calls of `scan_id` with the default
    /// [`CallWriterOptions`].
    pub fn call_writer(&self, scan_id: i64) -> Result<CallWriter, StoreError> {
        self.call_writer_with(scan_id, CallWriterOptions::default())
    }

    /// Starts a background writer with explicit channel and batch sizes.
    pub fn call_writer_with(
        &self,
        scan_id: i64,
        opts: CallWriterOptions,
    ) -> Result<CallWriter, StoreError> {
        scans::require(&self.conn, scan_id)?;
        let conn = schema::open_connection(&self.dir, false)?;
        CallWriter::spawn(conn, scan_id, opts)
    }

    /// Number of calls stored for a scan.
    pub fn count_calls(&self, scan_id: i64) -> Result<u64, StoreError> {
        calls::count(&self.conn, scan_id)
    }

    /// Calls matching `filter`, ordered by time then insertion order, at most
    /// `limit` of them.
    pub fn calls(
        &self,
        scan_id: i64,
        filter: &CallFilter,
        limit: usize,
    ) -> Result<Vec<CallRow>, StoreError> {
        calls::query(&self.conn, scan_id, filter, limit)
    }

    /// Calls per minute over all endpoints, from the `call_minutes` rollup.
    pub fn calls_per_minute(&self, scan_id: i64) -> Result<Vec<MinuteCount>, StoreError> {
        calls::per_minute(&self.conn, scan_id)
    }
}
