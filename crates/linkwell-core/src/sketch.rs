//! Bounded-memory summaries: distinct counts, quantiles, heavy hitters.
//!
//! Anything keyed by attacker-controlled values (IPs, user names, paths) must
//! not grow without bound, so per-endpoint and per-client statistics are kept
//! in these fixed-size structures instead of maps. All of them merge, which is
//! what lets the inventory fold endpoints together after it learns a template.

use serde::{Deserialize, Serialize};

/// A fast, stable 64-bit hash (FNV-1a over the bytes, then a murmur3
/// finaliser to spread the bits). Stable across runs and machines, which keeps
/// sketches reproducible and mergeable between sensors.
#[inline]
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    fmix64(h)
}

/// murmur3's 64-bit finaliser.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// HyperLogLog distinct counter with 2^P registers (P = 4..=14).
///
/// Standard error is about 1.04 / sqrt(2^P): 3.2% at P = 10 (1 KiB),
/// 6.5% at P = 8 (256 B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hll {
    p: u8,
    regs: Vec<u8>,
}

impl Hll {
    pub fn new(p: u8) -> Self {
        let p = p.clamp(4, 14);
        Hll {
            p,
            regs: vec![0; 1 << p],
        }
    }

    pub fn insert(&mut self, item: &[u8]) {
        self.insert_hash(hash64(item));
    }

    #[inline]
    pub fn insert_hash(&mut self, h: u64) {
        let idx = (h >> (64 - self.p)) as usize;
        let rest = (h << self.p) | (1 << (self.p - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if self.regs[idx] < rank {
            self.regs[idx] = rank;
        }
    }

    pub fn estimate(&self) -> u64 {
        estimate_registers(self.regs.iter().copied(), self.regs.len())
    }

    /// The estimate of `self` merged with `other`, without building the
    /// merge (a sliding distinct count asks this on every insert); None when
    /// the precisions differ.
    pub fn union_estimate(&self, other: &Hll) -> Option<u64> {
        (other.p == self.p).then(|| {
            estimate_registers(
                self.regs.iter().zip(&other.regs).map(|(a, b)| (*a).max(*b)),
                self.regs.len(),
            )
        })
    }

    /// Folds `other` in; both must have the same precision (else no-op).
    pub fn merge(&mut self, other: &Hll) {
        if other.p != self.p {
            return;
        }
        for (a, b) in self.regs.iter_mut().zip(&other.regs) {
            *a = (*a).max(*b);
        }
    }
}

/// A 64-register HyperLogLog held inline: no heap, `Copy`, so a map of
/// millions of them is freed in one step (detector state evicts whole
/// generations at once and must not stall a call doing it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hll64([u8; 64]);

impl Default for Hll64 {
    fn default() -> Self {
        Hll64([0; 64])
    }
}

impl Hll64 {
    #[inline]
    pub fn insert_hash(&mut self, h: u64) {
        let idx = (h >> 58) as usize;
        let rank = ((h << 6) | (1 << 5)).leading_zeros() as u8 + 1;
        if self.0[idx] < rank {
            self.0[idx] = rank;
        }
    }

    pub fn merge(&mut self, other: &Hll64) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a = (*a).max(*b);
        }
    }

    pub fn estimate(&self) -> u64 {
        estimate_registers(self.0.iter().copied(), 64)
    }

    /// The estimate of the union with `other`, without building it.
    pub fn union_estimate(&self, other: &Hll64) -> u64 {
        estimate_registers(self.0.iter().zip(&other.0).map(|(a, b)| (*a).max(*b)), 64)
    }
}

/// The HyperLogLog estimate over a register array, with linear counting for
/// small cardinalities (where detector thresholds sit).
fn estimate_registers(regs: impl Iterator<Item = u8>, len: usize) -> u64 {
    let m = len as f64;
    let mut sum = 0.0;
    let mut zeros = 0usize;
    for r in regs {
        // 2^-r exactly, without a division.
        sum += f64::from_bits((1023 - u64::from(r.min(63))) << 52);
        if r == 0 {
            zeros += 1;
        }
    }
    let alpha = match len {
        16 => 0.673,
        32 => 0.697,
        64 => 0.709,
        _ => 0.7213 / (1.0 + 1.079 / m),
    };
    let raw = alpha * m * m / sum;
    let est = if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    est.round() as u64
}

/// Log-bucketed histogram for latency and size quantiles: 8 buckets per
/// power of two (about 6% relative error at the bucket midpoint), buckets
/// allocated only up to the largest value seen, mergeable.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogHistogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    sum: u128,
}

/// log2 of the sub-buckets per octave.
const SUB_BITS: u32 = 3;

impl LogHistogram {
    /// Bucket 0 holds zero; then 8 buckets per octave, found with integer
    /// arithmetic only (this runs three times per call in the inventory).
    #[inline]
    fn bucket(v: u64) -> usize {
        if v == 0 {
            return 0;
        }
        let octave = 63 - v.leading_zeros();
        let sub = if octave >= SUB_BITS {
            (v >> (octave - SUB_BITS)) & ((1 << SUB_BITS) - 1)
        } else {
            (v << (SUB_BITS - octave)) & ((1 << SUB_BITS) - 1)
        };
        ((octave << SUB_BITS) as u64 + sub) as usize + 1
    }

    /// The midpoint of a bucket's value range.
    fn bucket_value(b: usize) -> u64 {
        if b == 0 {
            return 0;
        }
        let b = b as u64 - 1;
        let octave = (b >> SUB_BITS) as u32;
        let sub = b & ((1 << SUB_BITS) - 1);
        let base = 1u128 << octave;
        // Below 8 each bucket holds one exact value; above, it spans base/8.
        let lo = base + ((u128::from(sub) * base) >> SUB_BITS);
        let width = base >> SUB_BITS;
        (lo + width / 2).min(u128::from(u64::MAX)) as u64
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        let b = Self::bucket(v);
        if b >= self.counts.len() {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.total += 1;
        self.max = self.max.max(v);
        self.sum += u128::from(v);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> Option<f64> {
        (self.total > 0).then(|| self.sum as f64 / self.total as f64)
    }

    /// The `q` quantile (0.0..=1.0), or None when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Self::bucket_value(b).min(self.max));
            }
        }
        Some(self.max)
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }
}

/// Space-Saving heavy hitters: the top `k` keys by count in O(k) memory.
/// Counts are over-estimates by at most the smallest tracked count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopK {
    k: usize,
    items: Vec<(String, u64)>,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        TopK {
            k: k.max(1),
            items: Vec::with_capacity(k.max(1)),
        }
    }

    pub fn add(&mut self, key: &str, n: u64) {
        if let Some(slot) = self.items.iter_mut().find(|(k, _)| k == key) {
            slot.1 += n;
            return;
        }
        if self.items.len() < self.k {
            self.items.push((key.to_string(), n));
            return;
        }
        if let Some(min) = self.items.iter_mut().min_by_key(|(_, c)| *c) {
            min.0.clear();
            min.0.push_str(key);
            min.1 += n;
        }
    }

    /// Entries sorted by descending count, then key.
    pub fn top(&self) -> Vec<(String, u64)> {
        let mut v = self.items.clone();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    pub fn merge(&mut self, other: &TopK) {
        for (k, c) in &other.items {
            self.add(k, *c);
        }
    }
}

/// A small set of strings that stops growing at `cap` and remembers that it
/// overflowed (parameter names, sensitive types: cheap when honest, bounded
/// when hostile).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BoundedSet {
    cap: usize,
    items: Vec<String>,
    overflowed: bool,
}

impl BoundedSet {
    pub fn new(cap: usize) -> Self {
        BoundedSet {
            cap,
            items: Vec::new(),
            overflowed: false,
        }
    }

    pub fn insert(&mut self, s: &str) {
        if self.items.iter().any(|i| i == s) {
            return;
        }
        if self.items.len() < self.cap {
            self.items.push(s.to_string());
        } else {
            self.overflowed = true;
        }
    }

    pub fn items(&self) -> &[String] {
        &self.items
    }

    pub fn sorted(&self) -> Vec<String> {
        let mut v = self.items.clone();
        v.sort();
        v
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    pub fn merge(&mut self, other: &BoundedSet) {
        for s in &other.items {
            self.insert(s);
        }
        self.overflowed |= other.overflowed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hll_is_within_error() {
        for &n in &[10u64, 1000, 100_000] {
            let mut h = Hll::new(10);
            for i in 0..n {
                h.insert(format!("10.0.{}.{}", i / 256, i % 256).as_bytes());
            }
            let est = h.estimate() as f64;
            let err = (est - n as f64).abs() / n as f64;
            assert!(err < 0.1, "n={n} est={est}");
        }
    }

    #[test]
    fn hll_merge_equals_union() {
        let mut a = Hll::new(10);
        let mut b = Hll::new(10);
        for i in 0..5000u32 {
            a.insert(&i.to_le_bytes());
            b.insert(&(i + 2500).to_le_bytes());
        }
        let lazy = a.union_estimate(&b);
        a.merge(&b);
        let est = a.estimate() as f64;
        assert!((est - 7500.0).abs() / 7500.0 < 0.1, "{est}");
        assert_eq!(lazy, Some(a.estimate()));
        assert_eq!(a.union_estimate(&Hll::new(6)), None);
    }

    #[test]
    fn histogram_quantiles() {
        let mut h = LogHistogram::default();
        for v in 1..=1000u64 {
            h.record(v);
        }
        let p50 = h.quantile(0.5).unwrap() as f64;
        let p99 = h.quantile(0.99).unwrap() as f64;
        assert!((p50 - 500.0).abs() / 500.0 < 0.05, "{p50}");
        assert!((p99 - 990.0).abs() / 990.0 < 0.05, "{p99}");
        assert_eq!(h.max(), 1000);
        for v in [0u64, 1, 2, 3, 7, 8, 9, 100, 1 << 20, u64::MAX] {
            let mid = LogHistogram::bucket_value(LogHistogram::bucket(v)) as f64;
            assert!(
                (mid - v as f64).abs() <= (v as f64) * 0.07 + 1.0,
                "{v} -> {mid}"
            );
        }
        assert_eq!(LogHistogram::default().quantile(0.5), None);
    }

    #[test]
    fn topk_keeps_heavy_hitters() {
        let mut t = TopK::new(3);
        for i in 0..1000 {
            t.add("heavy", 1);
            t.add(&format!("noise{i}"), 1);
        }
        assert_eq!(t.top()[0].0, "heavy");
    }

    #[test]
    fn bounded_set_caps() {
        let mut s = BoundedSet::new(2);
        for x in ["a", "b", "a", "c"] {
            s.insert(x);
        }
        assert_eq!(s.items(), ["a", "b"]);
        assert!(s.overflowed());
    }
}
