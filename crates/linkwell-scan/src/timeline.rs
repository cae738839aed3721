//! Calls over time with bounded memory: buckets start at one minute and
//! double in width whenever there are too many, so a decade of bad
//! timestamps costs the same as an hour of good ones.

use std::collections::BTreeMap;

use linkwell_core::Timestamp;
use linkwell_core::scan::TimeBucket;

const MAX_BUCKETS: usize = 4096;
/// What the output shows: at most this many points.
const OUTPUT_BUCKETS: usize = 240;

pub(crate) struct Timeline {
    width_us: i64,
    buckets: BTreeMap<i64, TimeBucket>,
    /// The bucket calls are arriving in, not yet in `buckets`. Logs are in
    /// time order, so nearly every call lands here without a map lookup
    /// (this runs on the scan's ordered stage, once per call).
    open: Option<TimeBucket>,
}

impl Timeline {
    pub(crate) fn new() -> Self {
        Timeline {
            width_us: 60_000_000,
            buckets: BTreeMap::new(),
            open: None,
        }
    }

    fn slot(&mut self, t: Timestamp) -> &mut TimeBucket {
        let start = t.0.div_euclid(self.width_us) * self.width_us;
        self.buckets.entry(start).or_insert_with(|| TimeBucket {
            start: Timestamp(start),
            ..Default::default()
        })
    }

    pub(crate) fn record(&mut self, t: Timestamp, status: u16, findings: u64) {
        let start = t.0.div_euclid(self.width_us) * self.width_us;
        if self.open.as_ref().is_none_or(|b| b.start.0 != start) {
            self.close();
            // Closing may have widened the buckets.
            let start = t.0.div_euclid(self.width_us) * self.width_us;
            self.open = Some(TimeBucket {
                start: Timestamp(start),
                ..Default::default()
            });
        }
        let Some(b) = self.open.as_mut() else { return };
        b.calls += 1;
        match status {
            400..=499 => b.client_errors += 1,
            500..=599 => b.server_errors += 1,
            _ => {}
        }
        b.findings += findings;
    }

    /// Adds the open bucket to the map.
    fn close(&mut self) {
        let Some(b) = self.open.take() else { return };
        self.add(&b);
        if self.buckets.len() > MAX_BUCKETS {
            self.coarsen(self.width_us * 2);
        }
    }

    fn add(&mut self, b: &TimeBucket) {
        let s = self.slot(b.start);
        s.calls += b.calls;
        s.client_errors += b.client_errors;
        s.server_errors += b.server_errors;
        s.findings += b.findings;
    }

    fn coarsen(&mut self, width: i64) {
        self.width_us = width;
        let old = std::mem::take(&mut self.buckets);
        for (_, b) in old {
            self.add(&b);
        }
    }

    /// At most [`OUTPUT_BUCKETS`] buckets of equal width, empty ones included
    /// so a chart's time axis is honest.
    pub(crate) fn finish(mut self) -> Vec<TimeBucket> {
        self.close();
        let (Some(first), Some(last)) = (
            self.buckets.keys().next().copied(),
            self.buckets.keys().next_back().copied(),
        ) else {
            return Vec::new();
        };
        while (last - first) / self.width_us >= OUTPUT_BUCKETS as i64 {
            let w = self.width_us * 2;
            self.coarsen(w);
        }
        let first = first.div_euclid(self.width_us) * self.width_us;
        let mut out = Vec::new();
        let mut t = first;
        while t <= last {
            out.push(self.buckets.remove(&t).unwrap_or(TimeBucket {
                start: Timestamp(t),
                ..Default::default()
            }));
            t += self.width_us;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_bounded_and_complete() {
        let mut tl = Timeline::new();
        // One call per minute for a week, plus one wild timestamp.
        for m in 0..(7 * 24 * 60) {
            tl.record(Timestamp::from_secs(1_772_400_000 + m * 60), 200, 0);
        }
        tl.record(Timestamp::from_secs(1_772_400_000), 500, 2);
        let out = tl.finish();
        assert!(out.len() <= OUTPUT_BUCKETS, "{}", out.len());
        assert_eq!(out.iter().map(|b| b.calls).sum::<u64>(), 7 * 24 * 60 + 1);
        assert_eq!(out.iter().map(|b| b.server_errors).sum::<u64>(), 1);
        assert_eq!(out.iter().map(|b| b.findings).sum::<u64>(), 2);
        let w = out[1].start.0 - out[0].start.0;
        assert!(out.windows(2).all(|p| p[1].start.0 - p[0].start.0 == w));
    }
}
