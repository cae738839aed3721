//! Bounded building blocks: a map with a ceiling and a sliding window.
//!
//! Detectors key state by values an attacker chooses (source IPs, user names,
//! object ids). A plain map would grow with the attack; these structures have
//! a fixed ceiling and forget the least recently active keys first.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use linkwell_core::Timestamp;

/// A map that holds at most `cap` keys, approximating LRU with two
/// generations: new and touched keys live in `young`; when `young` reaches
/// half the capacity, `old` is dropped and `young` becomes `old`. Every
/// operation is O(1) and eviction never scans. `S` picks the hash
/// function (per-call maps use a cheaper one than SipHash).
///
/// The young generation is allocated at its full size up front (only its
/// control bytes are touched until used), so it never rehashes while the
/// engine is judging a call; and when values have no drop glue, dropping a
/// generation is one deallocation. Together that keeps the worst call
/// short even while an attack churns through millions of keys.
///
/// Keys that are already well-mixed 64-bit hashes (the shared state's
/// keys, detectors' pair ids) use [`Premixed`] and skip a second hash.
pub struct GenMap<K, V, S = RandomState> {
    young: HashMap<K, V, S>,
    old: HashMap<K, V, S>,
    half: usize,
    evicted: u64,
}

impl<K: Hash + Eq, V, S: BuildHasher + Default> GenMap<K, V, S> {
    pub fn new(cap: usize) -> Self {
        let half = (cap / 2).max(1);
        GenMap {
            young: HashMap::with_capacity_and_hasher(half, S::default()),
            old: HashMap::default(),
            half,
            evicted: 0,
        }
    }

    /// The value for `key`, created with `init` when absent.
    pub fn entry(&mut self, key: K, init: impl FnOnce() -> V) -> &mut V {
        if !self.young.contains_key(&key) {
            let prior = self.old.remove(&key);
            if self.young.len() >= self.half {
                self.evicted += self.old.len() as u64;
                self.old = std::mem::replace(
                    &mut self.young,
                    HashMap::with_capacity_and_hasher(self.half, S::default()),
                );
            }
            return self
                .young
                .entry(key)
                .or_insert_with(|| prior.unwrap_or_else(init));
        }
        self.young.entry(key).or_insert_with(init)
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.young.get(key).or_else(|| self.old.get(key))
    }

    /// Every entry, recent generation first (no particular order within one).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.young.iter().chain(self.old.iter())
    }

    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys forgotten so far to stay within the bound.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

/// A hasher for keys that are already 64-bit hashes of what an attacker
/// chose: one xor with a per-process seed and one finaliser, instead of a
/// full SipHash. The seed is what keeps it safe: the namespaces' mixing is
/// public, the seed is not, so nobody can precompute keys that pile into
/// one bucket.
#[derive(Debug, Clone, Copy)]
pub struct Premixed(u64);

impl Default for Premixed {
    fn default() -> Self {
        Premixed(crate::fasthash::process_seed())
    }
}

impl BuildHasher for Premixed {
    type Hasher = PassThrough;

    #[inline]
    fn build_hasher(&self) -> PassThrough {
        PassThrough(self.0)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    #[inline]
    fn finish(&self) -> u64 {
        linkwell_core::sketch::fmix64(self.0)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Not a u64 key: fold the bytes in (FNV) rather than lose them.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
}

/// Event counts over a sliding window of `N` equal slots, driven by call
/// time. Resolution is one slot: a 10-minute window of 10 slots counts the
/// last 9 to 10 minutes.
#[derive(Debug, Clone, Copy)]
pub struct Window<const N: usize> {
    slots: [u32; N],
    /// Index of the newest slot in absolute slot numbers (time / width).
    head: i64,
    width_us: i64,
}

impl<const N: usize> Window<N> {
    pub fn new(window_secs: u32) -> Self {
        let width = (i64::from(window_secs.max(1)) * 1_000_000 / N as i64).max(1);
        Window {
            slots: [0; N],
            head: i64::MIN,
            width_us: width,
        }
    }

    fn advance(&mut self, now: Timestamp) {
        let slot = now.0.div_euclid(self.width_us);
        if self.head == i64::MIN || slot - self.head >= N as i64 {
            self.slots = [0; N];
            self.head = slot;
            return;
        }
        // Late events (slot <= head) land in the newest slot: logs are
        // almost ordered and a few seconds of skew must not lose counts.
        while self.head < slot {
            self.head += 1;
            self.slots[self.head.rem_euclid(N as i64) as usize] = 0;
        }
    }

    pub fn add(&mut self, now: Timestamp, n: u32) -> u32 {
        self.advance(now);
        let i = self.head.rem_euclid(N as i64) as usize;
        self.slots[i] = self.slots[i].saturating_add(n);
        self.total()
    }

    /// The count within the window ending at `now`.
    pub fn count(&mut self, now: Timestamp) -> u32 {
        self.advance(now);
        self.total()
    }

    fn total(&self) -> u32 {
        self.slots.iter().fold(0u32, |a, b| a.saturating_add(*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genmap_is_bounded_and_keeps_recent() {
        let mut m: GenMap<u32, u32> = GenMap::new(100);
        for i in 0..10_000u32 {
            *m.entry(i, || 0) += 1;
            // Key 0 stays hot.
            *m.entry(0, || 0) += 1;
        }
        assert!(m.len() <= 100, "{}", m.len());
        assert_eq!(m.get(&0).copied(), Some(10_001));
        assert!(m.get(&5).is_none());
        assert!(m.evicted() > 9_000);
    }

    #[test]
    fn premixed_maps_behave_like_maps() {
        let mut m: GenMap<u64, u32, Premixed> = GenMap::new(100);
        for i in 0..1000u64 {
            *m.entry(linkwell_core::sketch::fmix64(i % 40), || 0) += 1;
        }
        assert_eq!(m.len(), 40);
        assert_eq!(m.get(&linkwell_core::sketch::fmix64(3)).copied(), Some(25));
        // Keys that are not a u64 still hash by all their bytes.
        let mut s: GenMap<&str, u32, Premixed> = GenMap::new(10);
        *s.entry("ab", || 0) += 1;
        *s.entry("ba", || 0) += 1;
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn window_slides() {
        let mut w: Window<10> = Window::new(600);
        let t = |s: i64| Timestamp::from_secs(1_000_000 + s);
        for s in 0..100 {
            w.add(t(s), 1);
        }
        assert_eq!(w.count(t(100)), 100);
        // Nine minutes later the first minute's slot has slid out.
        assert!(w.count(t(660)) < 100);
        assert_eq!(w.count(t(2000)), 0);
        // A late event counts in the newest slot.
        w.add(t(1990), 3);
        assert_eq!(w.count(t(2000)), 3);
    }
}
