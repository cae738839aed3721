//! Hashing for per-call keys: cheap enough to run several times per call.
//!
//! The standard library's SipHash resists hash flooding at ~20 ns per key;
//! the engine's maps are bounded (a flood evicts, it never grows), so the
//! per-call maps of enrichment and features use this word-at-a-time hash
//! with a murmur3 finaliser instead. Keys that an attacker could collide on
//! purpose are compared in full by the map, so a collision costs a probe,
//! never a wrong answer.

use std::hash::{BuildHasher, Hasher};

use linkwell_core::sketch::fmix64;

const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(h: u64, w: u64) -> u64 {
    (h ^ w).wrapping_mul(K).rotate_left(29)
}

/// Hashes `bytes` sixteen at a time in two independent lanes (so the
/// multiplications of one word do not wait for the previous), seeded.
pub(crate) fn fast_hash(bytes: &[u8], seed: u64) -> u64 {
    let mut a = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut b = a.rotate_left(32) ^ K;
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(w)
    };
    let mut chunks = bytes.chunks_exact(16);
    for c in &mut chunks {
        a = mix(a, word(&c[..8]));
        b = mix(b, word(&c[8..]));
    }
    let rest = chunks.remainder();
    if rest.len() > 8 {
        a = mix(a, word(&rest[..8]));
        b = mix(b, word(&rest[8..]));
    } else if !rest.is_empty() {
        a = mix(a, word(rest));
    }
    fmix64(a ^ b.rotate_left(23))
}

/// A [`Hasher`] over [`fast_hash`]'s mixing step.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fast_hash(bytes, self.0);
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.0 = mix(self.0, u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.0 = mix(self.0, u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = mix(self.0, n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = mix(self.0, n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fmix64(self.0)
    }
}

/// Builds [`FastHasher`]s seeded once per process from the standard
/// library's random keys: an attacker who cannot learn the seed cannot
/// precompute keys that all land in one bucket (hash flooding), and the
/// maps' contents never decide an output, so runs stay deterministic.
#[derive(Clone, Copy)]
pub(crate) struct FastState(u64);

/// One random seed per process, from the standard library's random keys.
pub(crate) fn process_seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u64))
}

impl Default for FastState {
    fn default() -> Self {
        FastState(process_seed())
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn distinct_keys_spread() {
        let s = FastState::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "192.0.2.2".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_ne!(s.hash_one(a), s.hash_one(b));
        assert_eq!(s.hash_one(a), s.hash_one(a));
        assert_ne!(fast_hash(b"abcdefgh1", 0), fast_hash(b"abcdefgh2", 0));
        assert_ne!(fast_hash(b"", 0), fast_hash(b"\0", 0));
    }
}
