//! The appending side: a background thread that group-commits batches.
//!
//! Callers serialise their event and get a sequence number and decision id
//! at once ([`AuditLog::append`]); the writer thread turns queued records
//! into lines, writes a whole batch with one `write`, and makes it durable
//! per [`FsyncPolicy`]. [`AuditLog::wait_durable`] returns once a record is
//! past that durability point: that is the acknowledgement.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;

use crate::checkpoint::{Checkpoint, SegmentHeader, write_checkpoint_line, write_header_line};
use crate::error::AuditError;
use crate::event::{AdminEvent, AuditEvent};
use crate::hash::Digest;
use crate::merkle::CompactRange;
use crate::record::{canonical, chain_hash, decision_id, split_line, write_line};
use crate::store;
use crate::verify::{Verifier, lines};

/// When a written batch counts as durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `fdatasync` after every batch: survives power loss.
    Always,
    /// `fdatasync` at most every N ms; records are acknowledged only after
    /// the sync that covers them, so callers waiting on them wait up to N ms.
    IntervalMs(u64),
    /// Acknowledged once `write` returned: survives a process crash
    /// (kill -9) because the data is in the kernel, not a power loss.
    Never,
}

#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// The Ed25519 seed file; default `DIR/audit.key` (see docs/audit.md).
    pub key_path: Option<PathBuf>,
    pub fsync: FsyncPolicy,
    /// Sign a checkpoint after this many records...
    pub checkpoint_every: u64,
    /// ...or this long after the first unsigned record, whichever is first.
    pub checkpoint_interval_ms: u64,
    pub segment_max_bytes: u64,
    pub segment_max_records: u64,
    /// Keep at most this many segments (oldest deleted whole).
    pub retain_segments: Option<usize>,
    /// Delete sealed segments whose file is older than this.
    pub retain_max_age: Option<Duration>,
    /// Queued, not yet written records; `append` blocks beyond this.
    pub queue_capacity: usize,
    pub max_batch: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            key_path: None,
            fsync: FsyncPolicy::Always,
            checkpoint_every: 1000,
            checkpoint_interval_ms: 1000,
            segment_max_bytes: 64 << 20,
            segment_max_records: 1_000_000,
            retain_segments: None,
            retain_max_age: None,
            queue_capacity: 65_536,
            max_batch: 4096,
        }
    }
}

/// What `append` hands back: the record's place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub seq: u64,
    pub decision_id: String,
}

enum Msg {
    Rec {
        seq: u64,
        id: String,
        logged_us: i64,
        event: Vec<u8>,
    },
    Flush,
    Shutdown,
}

struct Queue {
    next_seq: u64,
    in_flight: usize,
    tx: Sender<Msg>,
}

struct Durable {
    /// Every seq below this is durable.
    next: u64,
    failed: Option<String>,
}

struct Shared {
    queue: Mutex<Queue>,
    space: Condvar,
    durable: Mutex<Durable>,
    durable_cv: Condvar,
    capacity: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // a panicking holder leaves plain counters behind: still usable
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

impl Shared {
    fn failed(&self) -> Option<String> {
        lock(&self.durable).failed.clone()
    }

    fn enqueue(&self, event: &AuditEvent, bounded: bool) -> Result<Receipt, AuditError> {
        let json = serde_json::to_vec(event)?;
        let logged_us = now_us();
        if let Some(f) = self.failed() {
            return Err(AuditError::WriterFailed(f));
        }
        let mut q = lock(&self.queue);
        while bounded && q.in_flight >= self.capacity {
            q = self.space.wait(q).unwrap_or_else(|p| p.into_inner());
        }
        let seq = q.next_seq;
        let id = decision_id(seq, &json);
        q.tx.send(Msg::Rec {
            seq,
            id: id.clone(),
            logged_us,
            event: json,
        })
        .map_err(|_| AuditError::WriterFailed("writer thread is gone".into()))?;
        q.next_seq += 1;
        q.in_flight += 1;
        Ok(Receipt {
            seq,
            decision_id: id,
        })
    }

    fn set_failed(&self, e: &AuditError) {
        let mut d = lock(&self.durable);
        d.failed.get_or_insert_with(|| e.to_string());
        self.durable_cv.notify_all();
        drop(d);
        self.space.notify_all();
    }
}

/// An open audit log. Dropping it without [`AuditLog::close`] still stops
/// the writer cleanly (final checkpoint, sync).
pub struct AuditLog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    dir: PathBuf,
    /// Held (advisory exclusive lock on `DIR/lock`) while the log is open.
    _lock: File,
}

impl AuditLog {
    /// Opens (or creates) the log in `dir`. An existing log is checked from
    /// its last segment; a torn, unacknowledged tail is cut off and recorded.
    pub fn open(dir: impl AsRef<Path>, cfg: AuditConfig) -> Result<AuditLog, AuditError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| AuditError::io("cannot create", &dir, e))?;
        let key_path = cfg
            .key_path
            .clone()
            .unwrap_or_else(|| dir.join(store::DEFAULT_KEY_FILE));
        let lock_path = dir.join(store::LOCK_FILE);
        let lock =
            File::create(&lock_path).map_err(|e| AuditError::io("cannot create", &lock_path, e))?;
        // two writers on one directory would fork the chain
        lock.try_lock()
            .map_err(|_| AuditError::Locked(dir.clone()))?;
        let key = store::load_or_create_key(&key_path)?;
        store::ensure_public_key(&dir, &key)?;
        let (state, recovered) = recover(&dir, &key, &cfg)?;
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                next_seq: state.next_seq,
                in_flight: 0,
                tx,
            }),
            space: Condvar::new(),
            durable: Mutex::new(Durable {
                next: state.next_seq,
                failed: None,
            }),
            durable_cv: Condvar::new(),
            capacity: cfg.queue_capacity.max(1),
        });
        let mut w = Writer {
            dir: dir.clone(),
            key,
            cfg,
            shared: Arc::clone(&shared),
            st: state,
            head_seq: None,
        };
        let thread = std::thread::Builder::new()
            .name("linkwell-audit".into())
            .spawn(move || w.run(rx))
            .map_err(|e| AuditError::io("cannot start writer for", &dir, e))?;
        let log = AuditLog {
            shared,
            thread: Some(thread),
            dir,
            _lock: lock,
        };
        if let Some(ev) = recovered {
            log.shared.enqueue(&AuditEvent::Admin(ev), false)?;
        }
        Ok(log)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues one record and returns its seq and decision id at once; blocks
    /// only while `queue_capacity` records are waiting for the writer.
    /// The record is durable once [`AuditLog::wait_durable`] says so.
    pub fn append(&self, event: &AuditEvent) -> Result<Receipt, AuditError> {
        self.shared.enqueue(event, true)
    }

    /// Blocks until `seq` (a seq this log returned) is durable under the
    /// fsync policy; returns an error instead if the writer failed.
    pub fn wait_durable(&self, seq: u64) -> Result<(), AuditError> {
        let mut d = lock(&self.shared.durable);
        while d.next <= seq {
            if let Some(f) = &d.failed {
                return Err(AuditError::WriterFailed(f.clone()));
            }
            d = self
                .shared
                .durable_cv
                .wait(d)
                .unwrap_or_else(|p| p.into_inner());
        }
        Ok(())
    }

    /// The highest seq acknowledged as durable, if any.
    pub fn durable_through(&self) -> Option<u64> {
        lock(&self.shared.durable).next.checked_sub(1)
    }

    /// Makes everything appended so far durable and signed, whatever the
    /// policy, and waits for it.
    pub fn flush(&self) -> Result<(), AuditError> {
        let last = {
            let q = lock(&self.shared.queue);
            q.tx.send(Msg::Flush)
                .map_err(|_| AuditError::WriterFailed("writer thread is gone".into()))?;
            q.next_seq.checked_sub(1)
        };
        match last {
            Some(s) => self.wait_durable(s),
            None => Ok(()),
        }
    }

    /// Stops the writer after it has written, signed and synced everything.
    pub fn close(mut self) -> Result<(), AuditError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), AuditError> {
        let Some(t) = self.thread.take() else {
            return Ok(());
        };
        let _ = lock(&self.shared.queue).tx.send(Msg::Shutdown);
        let _ = t.join();
        match self.shared.failed() {
            Some(f) => Err(AuditError::WriterFailed(f)),
            None => Ok(()),
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The writer's view of the open segment and the chain.
struct State {
    segment: u64,
    file: File,
    path: PathBuf,
    bytes: u64,
    first_seq: u64,
    next_seq: u64,
    chain: Digest,
    tree: CompactRange,
    unsigned: u64,
    unsigned_since: Option<Instant>,
    /// A checkpoint written but not yet durable: goes to head.json after the sync.
    pending_head: Option<Checkpoint>,
    last_checkpoint: Option<Checkpoint>,
}

/// Reads the last segment, cuts a torn tail, seals it with a checkpoint if
/// needed and opens a fresh segment, so appends never continue a file whose
/// end was not written by this process.
fn recover(
    dir: &Path,
    key: &SigningKey,
    cfg: &AuditConfig,
) -> Result<(State, Option<AdminEvent>), AuditError> {
    let segs = store::list_segments(dir)?;
    let corrupt = |reason: String| AuditError::Corrupt {
        dir: dir.to_path_buf(),
        reason,
    };
    let Some((last_no, last_path)) = segs.last().cloned() else {
        let st = new_segment(dir, 1, 0, Digest::ZERO, None, cfg)?;
        return Ok((st, None));
    };
    let mut buf = store::read(&last_path)?;
    let mut recovered = None;
    if let Some(l) = lines(&buf).last().filter(|l| !l.complete) {
        // never acknowledged: a record is acknowledged only after its whole
        // batch (newline included) was written
        let cut = l.offset;
        let f = OpenOptions::new()
            .write(true)
            .open(&last_path)
            .map_err(|e| AuditError::io("cannot open", &last_path, e))?;
        f.set_len(cut)
            .and_then(|()| f.sync_all())
            .map_err(|e| AuditError::io("cannot truncate torn tail of", &last_path, e))?;
        recovered = Some(AdminEvent::TornTailRecovered {
            segment: last_no,
            bytes: buf.len() as u64 - cut,
        });
        buf.truncate(usize::try_from(cut).unwrap_or(buf.len()));
    }
    if buf.is_empty() {
        // created but the header never reached the disk: start it again
        let _ = std::fs::remove_file(&last_path);
        let mut rest = segs;
        rest.pop();
        if rest.is_empty() {
            return Ok((new_segment(dir, 1, 0, Digest::ZERO, None, cfg)?, recovered));
        }
        let (state, _) = recover(dir, key, cfg)?;
        return Ok((state, recovered));
    }
    let mut v = Verifier::new(key.verifying_key(), None);
    v.segment(last_no, &store::segment_name(last_no), &buf, true);
    let (chain, next_seq) = (v.chain(), v.next_seq());
    if let Some(p) = v.problem() {
        return Err(corrupt(format!("last segment fails verification: {p}")));
    }
    let next_seq = next_seq.unwrap_or(0);
    let mut hashes = Vec::new();
    let mut first_seq = next_seq;
    let mut last_line_is_checkpoint = false;
    let mut last_cp = None;
    for l in lines(&buf) {
        match l.bytes.first() {
            Some(b'H') => {
                if let Some(h) = l
                    .bytes
                    .strip_prefix(b"H ")
                    .and_then(|b| serde_json::from_slice::<SegmentHeader>(b).ok())
                {
                    first_seq = h.first_seq;
                }
                last_line_is_checkpoint = false;
            }
            Some(b'R') => {
                if let Some((h, _)) = split_line(l.bytes) {
                    hashes.push(h);
                }
                last_line_is_checkpoint = false;
            }
            Some(b'C') => {
                last_cp = l
                    .bytes
                    .strip_prefix(b"C ")
                    .and_then(|b| serde_json::from_slice::<Checkpoint>(b).ok());
                last_line_is_checkpoint = true;
            }
            _ => {}
        }
    }
    if hashes.is_empty() {
        // header only: keep appending to it
        let mut st = open_existing(&last_path, last_no, first_seq, chain, buf.len() as u64)?;
        st.next_seq = next_seq;
        return Ok((st, recovered));
    }
    let closing = if last_line_is_checkpoint {
        last_cp.ok_or_else(|| corrupt("last checkpoint unreadable".into()))?
    } else {
        let cp = Checkpoint {
            segment: last_no,
            first_seq,
            last_seq: next_seq - 1,
            head: chain,
            root: crate::merkle::root_of(&hashes),
            time_us: now_us(),
            sig: String::new(),
        }
        .signed(key);
        let mut line = Vec::new();
        write_checkpoint_line(&mut line, &cp)?;
        let mut f = OpenOptions::new()
            .append(true)
            .open(&last_path)
            .map_err(|e| AuditError::io("cannot open", &last_path, e))?;
        f.write_all(&line)
            .and_then(|()| f.sync_data())
            .map_err(|e| AuditError::io("cannot seal", &last_path, e))?;
        cp
    };
    store::write_head(dir, &closing, true)?;
    let st = new_segment(dir, last_no + 1, next_seq, chain, Some(closing), cfg)?;
    Ok((st, recovered))
}

fn open_existing(
    path: &Path,
    segment: u64,
    first_seq: u64,
    chain: Digest,
    bytes: u64,
) -> Result<State, AuditError> {
    let file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| AuditError::io("cannot open", path, e))?;
    Ok(State {
        segment,
        file,
        path: path.to_path_buf(),
        bytes,
        first_seq,
        next_seq: first_seq,
        chain,
        tree: CompactRange::default(),
        unsigned: 0,
        unsigned_since: None,
        pending_head: None,
        last_checkpoint: None,
    })
}

fn new_segment(
    dir: &Path,
    segment: u64,
    first_seq: u64,
    prev_hash: Digest,
    prev_checkpoint: Option<Checkpoint>,
    _cfg: &AuditConfig,
) -> Result<State, AuditError> {
    let path = dir.join(store::segment_name(segment));
    let mut file = OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| AuditError::io("cannot create", &path, e))?;
    let mut line = Vec::new();
    write_header_line(
        &mut line,
        &SegmentHeader {
            segment,
            first_seq,
            prev_hash,
            prev_checkpoint: prev_checkpoint.clone(),
        },
    )?;
    file.write_all(&line)
        .and_then(|()| file.sync_data())
        .map_err(|e| AuditError::io("cannot write", &path, e))?;
    store::sync_dir(dir)?;
    Ok(State {
        segment,
        file,
        path,
        bytes: line.len() as u64,
        first_seq,
        next_seq: first_seq,
        chain: prev_hash,
        tree: CompactRange::default(),
        unsigned: 0,
        unsigned_since: None,
        pending_head: None,
        last_checkpoint: prev_checkpoint,
    })
}

struct Writer {
    dir: PathBuf,
    key: SigningKey,
    cfg: AuditConfig,
    shared: Arc<Shared>,
    st: State,
    /// Last seq signed into head.json.
    head_seq: Option<u64>,
}

impl Writer {
    fn run(&mut self, rx: Receiver<Msg>) {
        if let Err(e) = self.run_inner(&rx) {
            self.shared.set_failed(&e);
        }
    }

    fn run_inner(&mut self, rx: &Receiver<Msg>) -> Result<(), AuditError> {
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        let mut written_next = self.st.next_seq;
        let mut last_sync = Instant::now();
        let mut dirty = false;
        loop {
            let timeout = self.next_deadline(dirty, last_sync);
            let first = match rx.recv_timeout(timeout) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => Some(Msg::Shutdown),
            };
            let mut processed = 0usize;
            let mut force = false;
            let mut shutdown = false;
            let mut msg = first;
            while let Some(m) = msg.take() {
                match m {
                    Msg::Rec {
                        seq,
                        id,
                        logged_us,
                        event,
                    } => {
                        processed += 1;
                        if self.segment_full(buf.len()) {
                            self.write_out(&mut buf)?;
                            self.rotate()?;
                            dirty = false;
                            last_sync = Instant::now();
                        }
                        self.add_record(&mut buf, seq, &id, logged_us, &event)?;
                    }
                    Msg::Flush => force = true,
                    Msg::Shutdown => {
                        shutdown = true;
                        force = true;
                    }
                }
                // after shutdown, drain what the writer queued itself
                // (retention records) so nothing assigned a seq is dropped
                if processed < self.cfg.max_batch || shutdown {
                    msg = rx.try_recv().ok();
                }
            }
            let cp_due = self.st.unsigned > 0
                && (force
                    || self.st.unsigned_since.is_some_and(|t| {
                        t.elapsed() >= Duration::from_millis(self.cfg.checkpoint_interval_ms)
                    }));
            if cp_due {
                self.add_checkpoint(&mut buf)?;
            }
            if !buf.is_empty() {
                self.write_out(&mut buf)?;
                dirty = true;
            }
            written_next = written_next.max(self.st.next_seq);
            let sync_now = match self.cfg.fsync {
                FsyncPolicy::Always => dirty,
                FsyncPolicy::IntervalMs(ms) => {
                    dirty && (force || last_sync.elapsed() >= Duration::from_millis(ms))
                }
                FsyncPolicy::Never => dirty && force,
            };
            if sync_now {
                self.st
                    .file
                    .sync_data()
                    .map_err(|e| AuditError::io("cannot sync", &self.st.path, e))?;
                last_sync = Instant::now();
                dirty = false;
            }
            let durable = !dirty || self.cfg.fsync == FsyncPolicy::Never;
            if durable {
                self.update_head()?;
                let mut d = lock(&self.shared.durable);
                d.next = d.next.max(written_next);
                self.shared.durable_cv.notify_all();
            }
            if processed > 0 {
                let mut q = lock(&self.shared.queue);
                q.in_flight = q.in_flight.saturating_sub(processed);
                self.shared.space.notify_all();
            }
            if shutdown {
                return Ok(());
            }
        }
    }

    /// Signs the current chain head into `head.json` at every durability
    /// point, so cutting acknowledged records from the end of the log is
    /// caught even before the next checkpoint line. Synced only when it is
    /// a checkpoint that is also in the segment; a stale head.json after a
    /// power loss is merely older, never ahead of the synced records.
    fn update_head(&mut self) -> Result<(), AuditError> {
        let Some(last) = self.st.next_seq.checked_sub(1) else {
            return Ok(());
        };
        if let Some(cp) = self.st.pending_head.take() {
            self.head_seq = Some(cp.last_seq);
            return store::write_head(&self.dir, &cp, self.cfg.fsync != FsyncPolicy::Never);
        }
        if self.head_seq.is_some_and(|h| h >= last) || self.st.next_seq == self.st.first_seq {
            return Ok(());
        }
        let cp = Checkpoint {
            segment: self.st.segment,
            first_seq: self.st.first_seq,
            last_seq: last,
            head: self.st.chain,
            root: self.st.tree.root(),
            time_us: now_us(),
            sig: String::new(),
        }
        .signed(&self.key);
        self.head_seq = Some(last);
        store::write_head(&self.dir, &cp, false)
    }

    fn next_deadline(&self, dirty: bool, last_sync: Instant) -> Duration {
        let mut t = Duration::from_secs(3600);
        if let Some(since) = self.st.unsigned_since {
            let due = Duration::from_millis(self.cfg.checkpoint_interval_ms);
            t = t.min(due.saturating_sub(since.elapsed()));
        }
        if dirty && let FsyncPolicy::IntervalMs(ms) = self.cfg.fsync {
            t = t.min(Duration::from_millis(ms).saturating_sub(last_sync.elapsed()));
        }
        t.max(Duration::from_micros(100))
    }

    fn segment_full(&self, pending: usize) -> bool {
        let records = self.st.next_seq - self.st.first_seq;
        records > 0
            && (self.st.bytes + pending as u64 >= self.cfg.segment_max_bytes
                || records >= self.cfg.segment_max_records)
    }

    fn add_record(
        &mut self,
        buf: &mut Vec<u8>,
        seq: u64,
        id: &str,
        logged_us: i64,
        event: &[u8],
    ) -> Result<(), AuditError> {
        if seq != self.st.next_seq {
            return Err(AuditError::WriterFailed(format!(
                "sequence out of order: got {seq}, expected {}",
                self.st.next_seq
            )));
        }
        let c = canonical(seq, id, logged_us, event);
        let h = chain_hash(&self.st.chain, seq, &c);
        write_line(buf, &h, &c);
        self.st.chain = h;
        self.st.tree.push(&h);
        self.st.next_seq = seq + 1;
        self.st.unsigned += 1;
        self.st.unsigned_since.get_or_insert_with(Instant::now);
        if self.st.unsigned >= self.cfg.checkpoint_every {
            self.add_checkpoint(buf)?;
        }
        Ok(())
    }

    fn add_checkpoint(&mut self, buf: &mut Vec<u8>) -> Result<(), AuditError> {
        let cp = Checkpoint {
            segment: self.st.segment,
            first_seq: self.st.first_seq,
            last_seq: self.st.next_seq - 1,
            head: self.st.chain,
            root: self.st.tree.root(),
            time_us: now_us(),
            sig: String::new(),
        }
        .signed(&self.key);
        write_checkpoint_line(buf, &cp)?;
        self.st.unsigned = 0;
        self.st.unsigned_since = None;
        self.st.pending_head = Some(cp.clone());
        self.st.last_checkpoint = Some(cp);
        Ok(())
    }

    fn write_out(&mut self, buf: &mut Vec<u8>) -> Result<(), AuditError> {
        self.st
            .file
            .write_all(buf)
            .map_err(|e| AuditError::io("cannot write", &self.st.path, e))?;
        self.st.bytes += buf.len() as u64;
        buf.clear();
        Ok(())
    }

    /// Seals the current segment and starts the next; then applies retention.
    fn rotate(&mut self) -> Result<(), AuditError> {
        let mut buf = Vec::new();
        if self.st.unsigned > 0 {
            self.add_checkpoint(&mut buf)?;
            self.write_out(&mut buf)?;
        }
        self.st
            .file
            .sync_data()
            .map_err(|e| AuditError::io("cannot sync", &self.st.path, e))?;
        if let Some(cp) = self.st.pending_head.take() {
            store::write_head(&self.dir, &cp, true)?;
        }
        let closing = self.st.last_checkpoint.clone();
        self.st = new_segment(
            &self.dir,
            self.st.segment + 1,
            self.st.next_seq,
            self.st.chain,
            closing,
            &self.cfg,
        )?;
        self.apply_retention()
    }

    fn apply_retention(&mut self) -> Result<(), AuditError> {
        let segs = store::list_segments(&self.dir)?;
        let sealed = &segs[..segs.len().saturating_sub(1)];
        let mut delete: Vec<&(u64, PathBuf)> = Vec::new();
        if let Some(keep) = self.cfg.retain_segments {
            let excess = segs.len().saturating_sub(keep.max(1));
            delete.extend(sealed.iter().take(excess));
        }
        if let Some(age) = self.cfg.retain_max_age {
            for s in sealed {
                let old = std::fs::metadata(&s.1)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|e| e > age);
                // only a prefix may go, or the chain would have a hole
                if !old {
                    break;
                }
                if !delete.iter().any(|d| d.0 == s.0) {
                    delete.push(s);
                }
            }
        }
        if delete.is_empty() {
            return Ok(());
        }
        delete.sort_by_key(|d| d.0);
        let last_deleted = delete.last().map_or(0, |d| d.0);
        // first seq of the first kept segment, minus one
        let through_seq = self.first_seq_of(last_deleted + 1)?.saturating_sub(1);
        for d in &delete {
            std::fs::remove_file(&d.1).map_err(|e| AuditError::io("cannot delete", &d.1, e))?;
        }
        store::sync_dir(&self.dir)?;
        self.shared.enqueue(
            &AuditEvent::Admin(AdminEvent::RetentionDeleted {
                segments: delete.iter().map(|d| d.0).collect(),
                through_seq,
            }),
            false,
        )?;
        Ok(())
    }

    fn first_seq_of(&self, segment: u64) -> Result<u64, AuditError> {
        if segment == self.st.segment {
            return Ok(self.st.first_seq);
        }
        let path = self.dir.join(store::segment_name(segment));
        let buf = store::read(&path)?;
        lines(&buf)
            .next()
            .and_then(|l| l.bytes.strip_prefix(b"H "))
            .and_then(|b| serde_json::from_slice::<SegmentHeader>(b).ok())
            .map(|h| h.first_seq)
            .ok_or_else(|| AuditError::Corrupt {
                dir: self.dir.clone(),
                reason: format!("{} has no header", path.display()),
            })
    }
}
