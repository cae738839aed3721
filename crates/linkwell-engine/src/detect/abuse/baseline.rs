//! An endpoint's normal per-caller rate, learned from its callers.
//!
//! A caller's calls per rate window are sampled when they first reach each
//! of a fixed ladder of levels (1, 2, 3, 4, 6, 8, … about 1.4× apart) in a
//! baseline epoch, once per caller, level and epoch. `reach[j]` is then the
//! number of caller-epochs that got as far as level `j`, and the share of
//! callers above any level is `reach[j] / reach[0]`: a quantile of the
//! per-caller rate across callers, in 25 counters, whatever the traffic.
//! Sampling each caller once per level is what keeps one heavy caller (the
//! abuser itself) from becoming the baseline: it counts as one caller.

use linkwell_core::sketch::{Hll, fmix64};

/// The sampled rates (calls per window).
pub(super) const LEVELS: [u32; 25] = [
    1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 90, 128, 181, 256, 362, 512, 724, 1024, 1448, 2048,
    2896, 4096, 8192,
];

/// The ladder index of `rate` when `rate` is exactly a level.
#[inline]
pub(super) fn level_of(rate: u32) -> Option<usize> {
    if rate > LEVELS[LEVELS.len() - 1] {
        return None;
    }
    let j = LEVELS.partition_point(|&l| l < rate);
    (LEVELS[j] == rate).then_some(j)
}

/// Counts are halved when this many caller-epochs have been seen, so the
/// baseline follows the traffic of the last weeks, not of all time.
const DECAY_AT: u32 = 1 << 20;

pub(super) struct Baseline {
    reach: [u32; LEVELS.len()],
    callers: Hll,
}

impl Baseline {
    pub(super) fn new() -> Self {
        Baseline {
            reach: [0; LEVELS.len()],
            callers: Hll::new(6),
        }
    }

    /// A caller reached level `j` for the first time this epoch.
    pub(super) fn record(&mut self, j: usize, caller: u64) {
        if j == 0 {
            self.callers.insert_hash(fmix64(caller));
            if self.reach[0] >= DECAY_AT {
                for r in &mut self.reach {
                    *r /= 2;
                }
            }
        }
        if let Some(r) = self.reach.get_mut(j) {
            *r = r.saturating_add(1);
        }
    }

    /// About how many different callers the endpoint has had.
    pub(super) fn callers(&self) -> u64 {
        self.callers.estimate()
    }

    /// The rate `q` of the caller-epochs stayed at or below (the level
    /// reached by more than `1 - q` of them), or None before any sample.
    pub(super) fn quantile(&self, q: f64) -> Option<u32> {
        let total = f64::from(self.reach[0]);
        if total == 0.0 {
            return None;
        }
        let tail = (1.0 - q.clamp(0.0, 1.0)) * total;
        let j = self
            .reach
            .iter()
            .rposition(|&r| f64::from(r) > tail)
            .unwrap_or(0);
        Some(LEVELS[j])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level_of(1), Some(0));
        assert_eq!(level_of(5), None);
        assert_eq!(level_of(6), Some(4));
        assert_eq!(level_of(8192), Some(LEVELS.len() - 1));
        assert_eq!(level_of(10_000), None);
        assert!(LEVELS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn quantiles_count_callers_not_calls() {
        let mut b = Baseline::new();
        assert_eq!(b.quantile(0.99), None);
        // 990 callers reach 4 calls per minute, 10 reach 16, one reaches 2048.
        let reach = |b: &mut Baseline, caller: u64, rate: u32| {
            for (j, l) in LEVELS.iter().enumerate() {
                if *l <= rate {
                    b.record(j, caller);
                }
            }
        };
        for c in 0..990 {
            reach(&mut b, c, 4);
        }
        for c in 990..1000 {
            reach(&mut b, c, 16);
        }
        reach(&mut b, 1000, 2048);
        assert_eq!(b.quantile(0.5), Some(4));
        assert_eq!(b.quantile(0.98), Some(4));
        // 11 of 1001 (1.1%) reached 16.
        assert_eq!(b.quantile(0.99), Some(16));
        assert_eq!(b.quantile(0.9995), Some(2048));
        assert!((900..=1100).contains(&b.callers()), "{}", b.callers());
    }
}
