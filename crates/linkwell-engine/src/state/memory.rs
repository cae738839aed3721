//! The single-node backend: every counter in one bounded map.

use linkwell_core::Timestamp;
use linkwell_core::sketch::Hll64;

use super::{GenMap, Key, Premixed, SharedState, StateStats, Window};

/// One counter. Every variant is plain data (distinct sets are 64-register
/// HyperLogLogs, about 13% standard error, near exact below a few dozen
/// items thanks to linear counting, which is where thresholds sit), so an
/// entry is at most 144 bytes and a generation is freed in one step.
#[derive(Clone, Copy)]
enum Entry {
    Count(Window<12>),
    Distinct(Halves),
    Mark(Timestamp),
}

/// Two tumbling half-windows: the estimate is their union, so an item is
/// remembered for at least one window and at most one and a half.
#[derive(Clone, Copy)]
struct Halves {
    half_us: i64,
    /// Start of the current half, in half-window units.
    epoch: i64,
    current: Hll64,
    previous: Hll64,
}

impl Halves {
    fn new(window_secs: u32) -> Self {
        Halves {
            half_us: (i64::from(window_secs.max(1)) * 500_000).max(1),
            epoch: i64::MIN,
            current: Hll64::default(),
            previous: Hll64::default(),
        }
    }

    fn insert(&mut self, now: Timestamp, item: u64) -> u64 {
        let epoch = now.0.div_euclid(self.half_us);
        if self.epoch == i64::MIN {
            self.epoch = epoch;
        } else if epoch == self.epoch + 1 {
            self.previous = std::mem::take(&mut self.current);
            self.epoch = epoch;
        } else if epoch > self.epoch + 1 {
            self.previous = Hll64::default();
            self.current = Hll64::default();
            self.epoch = epoch;
        }
        // Late items (epoch < self.epoch) count in the current half.
        self.current.insert_hash(item);
        self.current.union_estimate(&self.previous)
    }
}

/// In-memory [`SharedState`] holding at most `capacity` counters, forgetting
/// the least recently touched first.
pub struct MemoryState {
    /// Keyed by the key's mixed id (the namespace is folded into it).
    entries: GenMap<u64, Entry, Premixed>,
    capacity: usize,
}

impl MemoryState {
    pub fn new(capacity: usize) -> Self {
        MemoryState {
            entries: GenMap::new(capacity),
            capacity,
        }
    }
}

impl SharedState for MemoryState {
    fn add(&mut self, key: Key, now: Timestamp, window_secs: u32, n: u32) -> u32 {
        let e = self
            .entries
            .entry(key.id(), || Entry::Count(Window::new(window_secs)));
        match e {
            Entry::Count(w) => w.add(now, n),
            // A hash collision across kinds: start over as a counter rather
            // than answer from another detector's state.
            other => {
                let mut w = Window::new(window_secs);
                let c = w.add(now, n);
                *other = Entry::Count(w);
                c
            }
        }
    }

    fn distinct(&mut self, key: Key, now: Timestamp, window_secs: u32, item: u64) -> u64 {
        let e = self
            .entries
            .entry(key.id(), || Entry::Distinct(Halves::new(window_secs)));
        if !matches!(e, Entry::Distinct(_)) {
            *e = Entry::Distinct(Halves::new(window_secs));
        }
        match e {
            Entry::Distinct(h) => h.insert(now, item),
            _ => 0,
        }
    }

    fn mark(&mut self, key: Key, now: Timestamp, ttl_secs: u32) {
        let until = Timestamp(now.0.saturating_add(i64::from(ttl_secs) * 1_000_000));
        let e = self.entries.entry(key.id(), || Entry::Mark(until));
        match e {
            Entry::Mark(t) if t.0 >= until.0 => {}
            other => *other = Entry::Mark(until),
        }
    }

    fn marked(&mut self, key: Key, now: Timestamp) -> bool {
        matches!(self.entries.get(&key.id()), Some(Entry::Mark(t)) if t.0 >= now.0)
    }

    fn stats(&self) -> StateStats {
        StateStats {
            entries: self.entries.len() as u64,
            capacity: self.capacity as u64,
            evicted: self.entries.evicted(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Namespace;
    use std::net::IpAddr;

    const FAILS: Namespace = Namespace::new("test.fails");
    const USERS: Namespace = Namespace::new("test.users");
    const FLAG: Namespace = Namespace::new("test.flag");

    fn t(s: i64) -> Timestamp {
        Timestamp::from_secs(1_772_400_000 + s)
    }

    #[test]
    fn namespaces_separate_the_same_value() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_ne!(FAILS.ip(ip), USERS.ip(ip));
        assert_eq!(FAILS.ip(ip), FAILS.ip(ip));
        let mut s = MemoryState::new(1000);
        assert_eq!(s.add(FAILS.ip(ip), t(0), 60, 3), 3);
        assert_eq!(s.add(FAILS.ip(ip), t(1), 60, 0), 3);
        assert_eq!(s.distinct(USERS.ip(ip), t(1), 60, 7), 1);
        assert_eq!(s.add(FAILS.ip(ip), t(2), 60, 1), 4);
    }

    #[test]
    fn counts_slide_out_of_their_window() {
        let mut s = MemoryState::new(1000);
        let k = FAILS.text("alice");
        for i in 0..60 {
            s.add(k, t(i), 120, 1);
        }
        assert_eq!(s.add(k, t(60), 120, 0), 60);
        assert_eq!(s.add(k, t(400), 120, 0), 0);
    }

    #[test]
    fn distinct_counts_are_close_and_forget() {
        let mut s = MemoryState::new(1000);
        let k = USERS.text("198.51.100.0/24");
        let mut est = 0;
        for i in 0..40u64 {
            est = s.distinct(k, t(i as i64), 600, linkwell_core::sketch::fmix64(i));
            // Repeats do not count twice.
            s.distinct(k, t(i as i64), 600, linkwell_core::sketch::fmix64(i));
        }
        assert!((36..=44).contains(&est), "{est}");
        // Two windows later everything is forgotten.
        assert_eq!(s.distinct(k, t(2000), 600, 1), 1);
    }

    #[test]
    fn marks_expire() {
        let mut s = MemoryState::new(10);
        let k = FLAG.text("x");
        assert!(!s.marked(k, t(0)));
        s.mark(k, t(0), 60);
        assert!(s.marked(k, t(59)));
        assert!(!s.marked(k, t(61)));
    }

    #[test]
    fn a_million_keys_stay_within_capacity() {
        let mut s = MemoryState::new(10_000);
        for i in 0..1_000_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            s.add(FAILS.ip(ip), t(i64::from(i / 1000)), 600, 1);
        }
        let st = s.stats();
        assert!(st.entries <= 10_000, "{st:?}");
        assert!(st.evicted >= 990_000, "{st:?}");
    }
}
