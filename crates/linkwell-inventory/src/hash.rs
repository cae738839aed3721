//! Hashing for the hot path.
//!
//! SipHash (std's default) costs more than all the rest of a trie step for
//! short path segments. [`Seeded`] is a folded-multiply hash in the style of
//! foldhash/wyhash with per-process random keys: several times faster, and
//! still not predictable by a client who wants to make path labels collide
//! (every map it backs is bounded anyway, so a collision costs time, never
//! memory).

use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

fn fold(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

/// Random keys for [`SeededHasher`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seeded {
    k0: u64,
    k1: u64,
}

impl Seeded {
    pub(crate) fn new() -> Self {
        let s = RandomState::new();
        let k0 = s.hash_one(MIX);
        let k1 = s.hash_one(k0) | 1;
        Seeded { k0, k1 }
    }
}

impl Default for Seeded {
    fn default() -> Self {
        Seeded::new()
    }
}

impl BuildHasher for Seeded {
    type Hasher = SeededHasher;

    fn build_hasher(&self) -> SeededHasher {
        SeededHasher {
            h: self.k0,
            k: self.k1,
        }
    }
}

pub(crate) struct SeededHasher {
    h: u64,
    k: u64,
}

impl Hasher for SeededHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.h ^ (bytes.len() as u64).wrapping_mul(MIX);
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = fold(h ^ u64::from_le_bytes(w), self.k);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            h = fold(h ^ u64::from_le_bytes(w), self.k ^ MIX);
        }
        self.h = h;
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.h = fold(self.h ^ i, self.k);
    }

    fn finish(&self) -> u64 {
        fold(self.h, self.k ^ MIX)
    }
}

/// Passes a `u64` key through unchanged: for maps keyed by [`Seeded`]
/// hashes, which are already well mixed.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is expected; fold anything else in so the hasher
        // stays correct (if slower) should a key type change.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type BuildIdentity = BuildHasherDefault<IdentityHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_inputs_hash_apart() {
        let s = Seeded::new();
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000u32 {
            assert!(seen.insert(s.hash_one(format!("seg{i}"))));
        }
        assert_ne!(s.hash_one("ab"), s.hash_one("ab\0"));
        assert_eq!(s.hash_one("same"), s.hash_one("same"));
    }
}
