//! Rate limits: GCRA (the generic cell rate algorithm) per key.
//!
//! One number per key — the theoretical arrival time (TAT) of the next
//! conforming request — updated under a shard lock, so the limit is exact
//! under any concurrency: N requests racing for the last slot let exactly
//! one through. The quota is an argument of every check, so a limit that
//! adapts to an endpoint's baseline changes without losing state. Memory is
//! bounded: when a shard is full, keys whose TAT is in the past (they are
//! indistinguishable from fresh) are dropped first, then the whole shard.

use std::collections::HashMap;
use std::sync::Mutex;

const SHARDS: usize = 16;

/// `requests` per `period_ms`, with `burst` more allowed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub requests: u32,
    pub period_ms: u64,
    pub burst: u32,
}

impl Quota {
    /// Milliseconds between two conforming requests at the sustained rate.
    fn interval_ms(&self) -> f64 {
        self.period_ms as f64 / f64::from(self.requests.max(1))
    }

    /// Requests a fresh client may send at once.
    pub fn capacity(&self) -> u32 {
        self.burst.saturating_add(1)
    }
}

/// The answer for one request, with what the `RateLimit` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds until a request would conform (refused requests only).
    pub retry_after_secs: Option<u64>,
}

impl RateDecision {
    /// `RateLimit-Policy` and `RateLimit` as in
    /// draft-ietf-httpapi-ratelimit-headers-08 (structured fields), and
    /// `Retry-After` (whole seconds, at least 1) when refused.
    pub fn headers(&self, policy: &str, quota: &Quota) -> Vec<(&'static str, String)> {
        let window = quota.period_ms.div_ceil(1000).max(1);
        let mut h = vec![
            (
                "ratelimit-policy",
                format!("\"{policy}\";q={};w={window}", self.limit),
            ),
            (
                "ratelimit",
                format!("\"{policy}\";r={};t={}", self.remaining, self.reset_secs),
            ),
        ];
        if let Some(s) = self.retry_after_secs {
            h.push(("retry-after", s.max(1).to_string()));
        }
        h
    }
}

pub struct Limiter {
    shards: Vec<Mutex<HashMap<u64, f64>>>,
    max_per_shard: usize,
}

impl Limiter {
    pub fn new(max_keys: usize) -> Limiter {
        Limiter {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            max_per_shard: (max_keys / SHARDS).max(16),
        }
    }

    /// Checks (and, when allowed, counts) one request of `key` at `now_ms`.
    pub fn check(&self, key: u64, quota: &Quota, now_ms: u64) -> RateDecision {
        let t = quota.interval_ms();
        let tolerance = t * f64::from(quota.burst);
        let now = now_ms as f64;
        let limit = quota.capacity();
        let shard = &self.shards[(key as usize) % SHARDS];
        let Ok(mut map) = shard.lock() else {
            // A poisoned shard means a panic elsewhere; fail open rather
            // than refuse every client.
            return RateDecision {
                allowed: true,
                limit,
                remaining: limit,
                reset_secs: 0,
                retry_after_secs: None,
            };
        };
        if map.len() >= self.max_per_shard && !map.contains_key(&key) {
            map.retain(|_, tat| *tat > now);
            if map.len() >= self.max_per_shard {
                map.clear();
            }
        }
        let tat = map.get(&key).copied().unwrap_or(now).max(now);
        let next = tat + t;
        let allow_at = next - tolerance - t;
        if now < allow_at {
            let wait = allow_at - now;
            let remaining_after = ((tolerance + t - (tat - now)) / t).floor().max(0.0);
            return RateDecision {
                allowed: false,
                limit,
                remaining: remaining_after as u32,
                reset_secs: ((tat - now) / 1000.0).ceil() as u64,
                retry_after_secs: Some((wait / 1000.0).ceil() as u64),
            };
        }
        map.insert(key, next);
        let remaining = ((tolerance + t - (next - now)) / t).floor().max(0.0);
        RateDecision {
            allowed: true,
            limit,
            remaining: remaining as u32,
            reset_secs: ((next - now) / 1000.0).ceil() as u64,
            retry_after_secs: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    const Q: Quota = Quota {
        requests: 10,
        period_ms: 1000,
        burst: 4,
    };

    #[test]
    fn a_fresh_client_gets_its_burst_then_the_sustained_rate() {
        let l = Limiter::new(1000);
        let allowed = (0..20).filter(|_| l.check(1, &Q, 0).allowed).count();
        assert_eq!(allowed, 5, "burst 4 + 1");
        // 100 ms later exactly one more slot (10/s).
        assert!(l.check(1, &Q, 100).allowed);
        assert!(!l.check(1, &Q, 100).allowed);
        // Another key is not affected.
        assert!(l.check(2, &Q, 100).allowed);
    }

    #[test]
    fn refusals_say_when_to_retry_and_headers_follow_the_draft() {
        let l = Limiter::new(1000);
        for _ in 0..5 {
            assert!(l.check(7, &Q, 0).allowed);
        }
        let d = l.check(7, &Q, 0);
        assert!(!d.allowed);
        assert_eq!(d.retry_after_secs, Some(1));
        assert_eq!(d.remaining, 0);
        let h = d.headers("per-ip", &Q);
        assert!(h.contains(&("ratelimit-policy", "\"per-ip\";q=5;w=1".into())));
        assert!(h.contains(&("retry-after", "1".into())));
    }

    #[test]
    fn exact_under_concurrency() {
        let l = Arc::new(Limiter::new(1000));
        let ok = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (l, ok) = (l.clone(), ok.clone());
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        if l.check(42, &Q, 5_000).allowed {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(ok.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn memory_stays_bounded() {
        let l = Limiter::new(1024);
        for k in 0..100_000u64 {
            l.check(k, &Q, k);
        }
        let held: usize = l.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(held <= 1024, "{held}");
    }
}

/// Per-client requests per minute a route's baseline is built from.
const LOG_BUCKETS: usize = 24;
/// Clients counted per route and minute; beyond it new clients are not
/// counted that minute (the histogram is a sample, not a census).
const MAX_CLIENTS_PER_MINUTE: usize = 50_000;
/// Client-minutes needed before a limit is recommended.
const MIN_SAMPLES: u64 = 200;
/// The recommended limit is this many times the 99th percentile of honest
/// per-client rates, so a busy but honest client is never throttled...
const HEADROOM: u64 = 3;
/// ...and never below this many requests per minute.
const FLOOR_PER_MIN: u64 = 60;

#[derive(Default)]
struct RouteRates {
    minute: u64,
    counts: HashMap<u64, u32>,
    /// Completed client-minutes by log2 of their request count.
    hist: [u64; LOG_BUCKETS],
}

impl RouteRates {
    fn roll(&mut self, minute: u64) {
        if minute == self.minute {
            return;
        }
        for &n in self.counts.values() {
            let b = (32 - n.leading_zeros()) as usize;
            self.hist[b.min(LOG_BUCKETS - 1)] += 1;
        }
        self.counts.clear();
        self.minute = minute;
    }

    fn samples(&self) -> u64 {
        self.hist.iter().sum()
    }

    /// Upper bound of the bucket holding the `q` quantile.
    fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.samples();
        if total == 0 {
            return None;
        }
        let want = ((total as f64) * q).ceil() as u64;
        let mut seen = 0;
        for (b, n) in self.hist.iter().enumerate() {
            seen += n;
            if seen >= want {
                return Some(if b == 0 { 0 } else { (1u64 << b) - 1 });
            }
        }
        None
    }
}

/// What a route's clients normally send, learned from its traffic, and the
/// per-client limit that follows from it: three times the 99th percentile
/// of per-client requests per minute (never below 60/min), once 200
/// client-minutes have been seen. Memory per route is one minute's client
/// counts (capped) and a 24-bucket histogram.
#[derive(Default)]
pub struct Baseline {
    routes: Mutex<HashMap<u64, RouteRates>>,
}

/// A recommended limit and what it stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Recommendation {
    pub requests_per_minute: u64,
    pub p99_per_client_minute: u64,
    pub client_minutes: u64,
}

impl Recommendation {
    pub fn quota(&self) -> Quota {
        let per_min = u32::try_from(self.requests_per_minute).unwrap_or(u32::MAX);
        Quota {
            requests: per_min,
            period_ms: 60_000,
            // A minute's worth may come in a burst of a sixth of it.
            burst: per_min / 6,
        }
    }
}

impl Baseline {
    pub fn observe(&self, route: u64, client: u64, now_ms: u64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let r = routes.entry(route).or_default();
        r.roll(now_ms / 60_000);
        let n = r.counts.len();
        match r.counts.get_mut(&client) {
            Some(c) => *c = c.saturating_add(1),
            None if n < MAX_CLIENTS_PER_MINUTE => {
                r.counts.insert(client, 1);
            }
            None => {}
        }
    }

    pub fn recommend(&self, route: u64) -> Option<Recommendation> {
        let routes = self.routes.lock().ok()?;
        let r = routes.get(&route)?;
        let samples = r.samples();
        if samples < MIN_SAMPLES {
            return None;
        }
        let p99 = r.quantile(0.99)?;
        Some(Recommendation {
            requests_per_minute: (p99 * HEADROOM).max(FLOOR_PER_MIN),
            p99_per_client_minute: p99,
            client_minutes: samples,
        })
    }
}

#[cfg(test)]
mod baseline_tests {
    use super::*;

    #[test]
    fn the_recommendation_sits_between_honest_clients_and_the_abuser() {
        let b = Baseline::default();
        // 100 honest clients at ~10 requests a minute, one abuser at 600,
        // for five minutes.
        for minute in 0..5u64 {
            for client in 0..100u64 {
                for i in 0..(8 + client % 5) {
                    b.observe(1, client, minute * 60_000 + i * 5_000);
                }
            }
            for i in 0..600 {
                b.observe(1, 999, minute * 60_000 + i * 100);
            }
        }
        // The fifth minute completes when the sixth starts.
        b.observe(1, 0, 5 * 60_000);
        let r = b.recommend(1).expect("enough samples");
        assert!(r.requests_per_minute >= 60, "{r:?}");
        assert!(r.requests_per_minute < 600, "{r:?}");
        assert!(r.requests_per_minute > 12, "{r:?}");
        // The abuser is over the limit, every honest client under it.
        let q = r.quota();
        assert!(600 > q.requests + q.burst);
        assert!(12 < q.requests);
        // Not enough traffic elsewhere: no recommendation.
        b.observe(2, 1, 0);
        assert_eq!(b.recommend(2), None);
    }
}
