//! An endpoint's normal per-caller rate, learned from its callers.
//!
//! The unit is the caller-epoch: one caller's activity on the endpoint in
//! one baseline epoch. The number of caller-epochs is a distinct count of
//! callers per epoch (a small sketch fed by every call). A caller's calls
//! per rate window are sampled when they first reach each rung of a fixed
//! ladder (4, 6, 8, 11, 16, … about 1.4× apart) in an epoch, once per caller,
//! rung and epoch, so `reach[j] / caller-epochs` is the share of callers
//! that got as fast as rung `j`: a quantile of the per-caller rate across
//! callers in a few dozen counters, whatever the traffic. Counting each
//! caller once per rung is what keeps one heavy caller (the abuser itself)
//! from becoming the baseline. Rates below 4 are not sampled: the limit is
//! never below the floor (30 by default), which is far above them, and not
//! sampling them keeps the common call (a caller's first few) cheap.

use linkwell_core::sketch::{Hll, fmix64};

/// The sampled rates (calls per window).
pub(super) const LEVELS: [u32; 21] = [
    4, 6, 8, 11, 16, 23, 32, 45, 64, 90, 128, 181, 256, 362, 512, 724, 1024, 1448, 2048, 2896, 4096,
];

/// The ladder index of `rate` when `rate` is exactly a rung.
#[inline]
pub(super) fn level_of(rate: u32) -> Option<usize> {
    if !(LEVELS[0]..=LEVELS[LEVELS.len() - 1]).contains(&rate) {
        return None;
    }
    let j = LEVELS.partition_point(|&l| l < rate);
    (LEVELS[j] == rate).then_some(j)
}

/// Counts are halved when this many caller-epochs have been seen, so the
/// baseline follows the recent traffic, not all of it.
const DECAY_AT: u64 = 1 << 20;

pub(super) struct Baseline {
    reach: [u32; LEVELS.len()],
    /// Caller-epochs of completed epochs.
    caller_epochs: u64,
    /// Callers of the current epoch.
    epoch: i64,
    epoch_callers: Hll,
    /// Callers ever (for the warm-up).
    callers: Hll,
}

impl Baseline {
    pub(super) fn new(epoch: i64) -> Self {
        Baseline {
            reach: [0; LEVELS.len()],
            caller_epochs: 0,
            epoch,
            epoch_callers: Hll::new(8),
            callers: Hll::new(6),
        }
    }

    /// Every call: who called, in which epoch.
    #[inline]
    pub(super) fn saw(&mut self, epoch: i64, caller: u64) {
        if epoch > self.epoch {
            self.caller_epochs += self.epoch_callers.estimate();
            self.epoch_callers = Hll::new(8);
            self.epoch = epoch;
            if self.caller_epochs >= DECAY_AT {
                self.caller_epochs /= 2;
                for r in &mut self.reach {
                    *r /= 2;
                }
            }
        }
        let h = fmix64(caller);
        self.epoch_callers.insert_hash(h);
        self.callers.insert_hash(h);
    }

    /// A caller reached rung `j` for the first time this epoch.
    pub(super) fn reached(&mut self, j: usize) {
        if let Some(r) = self.reach.get_mut(j) {
            *r = r.saturating_add(1);
        }
    }

    /// About how many different callers the endpoint has had.
    pub(super) fn callers(&self) -> u64 {
        self.callers.estimate()
    }

    /// The rate `q` of the caller-epochs stayed at or below: the fastest
    /// rung reached by more than `1 - q` of them (below the first rung, 1).
    pub(super) fn quantile(&self, q: f64) -> u32 {
        let total = (self.caller_epochs + self.epoch_callers.estimate()) as f64;
        let tail = (1.0 - q.clamp(0.0, 1.0)) * total;
        self.reach
            .iter()
            .rposition(|&r| f64::from(r) > tail)
            .map_or(1, |j| LEVELS[j])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level_of(1), None);
        assert_eq!(level_of(4), Some(0));
        assert_eq!(level_of(5), None);
        assert_eq!(level_of(6), Some(1));
        assert_eq!(level_of(4096), Some(LEVELS.len() - 1));
        assert_eq!(level_of(10_000), None);
        assert!(LEVELS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn quantiles_count_callers_not_calls() {
        let mut b = Baseline::new(0);
        assert_eq!(b.quantile(0.99), 1);
        // In each of two epochs 1000 callers: 890 stay below 4 calls a
        // minute, 100 reach 8, 10 more reach 16 and one reaches 2048.
        let reach = |b: &mut Baseline, rate: u32| {
            for (j, l) in LEVELS.iter().enumerate() {
                if *l <= rate {
                    b.reached(j);
                }
            }
        };
        for epoch in 0..2 {
            for c in 0..1000u64 {
                b.saw(epoch, c);
                let rate = match c {
                    0..890 => 2,
                    890..990 => 8,
                    990..999 => 16,
                    _ => 2048,
                };
                reach(&mut b, rate);
            }
        }
        let n = b.caller_epochs + b.epoch_callers.estimate();
        assert!((1700..=2300).contains(&n), "{n}");
        assert_eq!(b.quantile(0.5), 1);
        assert_eq!(b.quantile(0.95), 8);
        // 20 of 2000 (1%) reached 16: the p99 is at most that, the p99.5 is 16.
        assert!(matches!(b.quantile(0.99), 8 | 16), "{}", b.quantile(0.99));
        assert_eq!(b.quantile(0.995), 16);
        assert_eq!(b.quantile(0.9995), 2048);
        assert!((800..=1200).contains(&b.callers()), "{}", b.callers());
    }
}
