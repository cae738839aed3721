//! Detector state: the counters that decide whether a pattern is an attack.
//!
//! Every counter that several sensors must agree on (failed logins per
//! address, distinct user names per network, 404s per client, a client's
//! rate on an endpoint) goes through [`SharedState`], so a fleet of proxies
//! and hooks can share one view through Redis while a single node keeps it
//! in memory ([`MemoryState`]). Keys are hashed before they reach the
//! backend, values are small (a window of slot counts, a 64-register
//! HyperLogLog, a deadline), and the in-memory backend holds a fixed number
//! of entries: an attacker who sprays a million addresses evicts the least
//! recently touched entries, never grows memory.
//!
//! State that is a detector's own learning (a login endpoint's failure
//! signature, an endpoint's baseline) stays inside the detector, in the
//! bounded structures of [`bounded`].

pub mod bounded;
mod memory;

use std::net::IpAddr;

use linkwell_core::Timestamp;
use linkwell_core::sketch::{fmix64, hash64};

pub use bounded::{GenMap, Premixed, Window};
pub use memory::MemoryState;

/// What a counter counts. Its name is part of every key, so two detectors
/// never share a counter by accident, and a Redis backend can name its keys
/// after it (`lw:{name}:{id}`).
#[derive(Debug, Clone, Copy)]
pub struct Namespace {
    name: &'static str,
    seed: u64,
}

impl Namespace {
    /// Namespaces are constants: the seed is computed at compile time.
    pub const fn new(name: &'static str) -> Self {
        let b = name.as_bytes();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut i = 0;
        while i < b.len() {
            h ^= b[i] as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        Namespace { name, seed: h }
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    /// The key for an already-hashed value.
    #[inline]
    pub fn key(self, id: u64) -> Key {
        Key {
            ns: self,
            id: fmix64(id ^ self.seed),
        }
    }

    pub fn text(self, s: &str) -> Key {
        self.key(hash64(s.as_bytes()))
    }

    pub fn ip(self, ip: IpAddr) -> Key {
        self.key(ip_hash(ip))
    }
}

/// A stable hash of an address (no formatting, no allocation).
#[inline]
pub fn ip_hash(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => fmix64(u64::from(u32::from(v4)) | (4 << 56)),
        IpAddr::V6(v6) => {
            let n = u128::from(v6);
            fmix64((n as u64) ^ fmix64((n >> 64) as u64) ^ (6 << 56))
        }
    }
}

/// One counter: its namespace and the hash of what it is about. Equality
/// and hashing use the mixed id only (the namespace is folded into it).
#[derive(Debug, Clone, Copy)]
pub struct Key {
    ns: Namespace,
    id: u64,
}

impl Key {
    pub fn namespace(self) -> Namespace {
        self.ns
    }

    pub fn id(self) -> u64 {
        self.id
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.id);
    }
}

/// How many entries a backend holds and has forgotten; reported in metrics
/// and used by the memory-bound tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateStats {
    pub entries: u64,
    pub capacity: u64,
    pub evicted: u64,
}

/// The operations detectors need, each one round trip on a shared backend
/// (Redis: a slotted `INCRBY` with expiry, `PFADD`/`PFCOUNT`, `SET EX`).
///
/// Windows are given per call because a key's window is part of what it
/// means; a backend creates the entry with the first window it sees and
/// keeps it. Time is always the call's time, never the clock, so a replayed
/// log gives the same answers as live traffic.
pub trait SharedState: Send {
    /// Adds `n` events to the sliding-window counter `key` (a window of
    /// `window_secs`, at one twelfth resolution) and returns the count in the
    /// window ending at `now`. `n = 0` only reads.
    fn add(&mut self, key: Key, now: Timestamp, window_secs: u32, n: u32) -> u32;

    /// Adds `item` (a hash) to the distinct-count set `key` and returns the
    /// estimated number of distinct items seen in the last `window_secs`
    /// (between one and one and a half windows: two tumbling halves).
    fn distinct(&mut self, key: Key, now: Timestamp, window_secs: u32, item: u64) -> u64;

    /// Marks `key` until `now + ttl_secs` (a flagged source, a ban).
    fn mark(&mut self, key: Key, now: Timestamp, ttl_secs: u32);

    /// Whether `key` is marked at `now`.
    fn marked(&mut self, key: Key, now: Timestamp) -> bool;

    fn stats(&self) -> StateStats;
}
