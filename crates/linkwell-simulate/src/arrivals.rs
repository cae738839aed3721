//! When sessions start: a diurnal arrival process that follows the bank's
//! day (quiet at night, peaks before work, at lunch and in the evening,
//! quieter at weekends), plus uptime monitors polling at a fixed rate.

use crate::bank::{API_HOST, Ep, HEALTH_MONITORS, Proto};
use crate::benign::Session;
use crate::driver::World;
use crate::event::Event;
use crate::rng::Rng;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// Relative traffic per hour of the day (London time): quiet at night,
/// peaks before work, at lunch and in the evening.
const HOURLY: [f64; 24] = [
    0.30, 0.18, 0.12, 0.10, 0.10, 0.18, 0.45, 0.95, 1.55, 1.45, 1.05, 1.10, 1.45, 1.35, 1.00, 0.95,
    1.00, 1.15, 1.45, 1.60, 1.55, 1.25, 0.85, 0.55,
];

/// Relative traffic in the minute starting at `ms` (epoch milliseconds).
pub(crate) fn weight_at(ms: i64) -> f64 {
    let minute_of_day = ms.rem_euclid(DAY_MS) as f64 / MINUTE_MS as f64;
    // Interpolate between hour midpoints.
    let h = minute_of_day / 60.0 - 0.5;
    let lo = h.floor();
    let frac = h - lo;
    let i = (lo as i64).rem_euclid(24) as usize;
    let w = HOURLY[i] * (1.0 - frac) + HOURLY[(i + 1) % 24] * frac;
    // 1970-01-01 was a Thursday; 0 = Sunday.
    let dow = (ms.div_euclid(DAY_MS) + 4).rem_euclid(7);
    if dow == 0 || dow == 6 { w * 0.7 } else { w }
}

/// Spawns sessions minute by minute so that the planned number of calls
/// follows the diurnal curve and adds up to the requested total.
pub(crate) struct Arrivals {
    minute: i64,
    minutes: i64,
    cum_w: f64,
    total_w: f64,
    budget: f64,
    planned: f64,
    sessions: u64,
    /// Bench mode: the next unused client address index.
    bench_next: u64,
}

impl Arrivals {
    pub(crate) fn new(world: &World, budget: u64) -> Self {
        let minutes = (world.end_ms - world.start_ms) / MINUTE_MS;
        let total_w = (0..minutes)
            .map(|m| weight_at(world.start_ms + m * MINUTE_MS))
            .sum::<f64>();
        Arrivals {
            minute: 0,
            minutes,
            cum_w: 0.0,
            total_w: total_w.max(f64::MIN_POSITIVE),
            budget: budget as f64,
            planned: 0.0,
            sessions: 0,
            bench_next: 0,
        }
    }

    /// Bench mode: hands a session as many fresh addresses as it takes for
    /// the remaining sessions to reach `n` distinct clients (at most one
    /// per call), cycling once all have been used.
    fn bench_addresses(&mut self, n: u64, calls: usize) -> (u64, u64) {
        let remaining = n.saturating_sub(self.bench_next);
        let k = if remaining == 0 {
            1
        } else {
            let avg = if self.sessions == 0 {
                9.0
            } else {
                self.planned / self.sessions as f64
            };
            // About 91% of sessions are customers or visitors (bench addresses).
            let sessions_left = ((self.budget - self.planned) / avg.max(1.0) * 0.91).max(1.0);
            (remaining as f64 / sessions_left).ceil() as u64
        };
        let k = k.clamp(1, calls.max(1) as u64);
        let base = self.bench_next % n.max(1);
        self.bench_next += k;
        (base, k)
    }

    /// Plans the sessions starting in the current minute; returns the next minute.
    pub(crate) fn step(
        &mut self,
        now: i64,
        world: &World,
        rng: &mut Rng,
        spawn: &mut Vec<(i64, Session)>,
    ) -> Option<i64> {
        self.cum_w += weight_at(now);
        let target = self.budget * self.cum_w / self.total_w;
        while self.planned < target {
            let mut s = Session::new(world, rng);
            if let (true, Some(n)) = (s.uses_bench(), world.bench) {
                let (base, k) = self.bench_addresses(n, s.calls());
                s.set_bench(base, k);
            }
            self.sessions += 1;
            self.planned += s.calls() as f64;
            spawn.push((now + rng.below(MINUTE_MS as u64) as i64, s));
        }
        self.minute += 1;
        (self.minute < self.minutes).then_some(world.start_ms + self.minute * MINUTE_MS)
    }
}

/// Uptime monitors polling `GET /health` at a fixed rate.
pub(crate) struct Health {
    k: u64,
    interval: f64,
}

impl Health {
    pub(crate) fn new(world: &World, calls: u64) -> Self {
        let span = (world.end_ms - world.start_ms) as f64;
        Health {
            k: 0,
            interval: (span / calls.max(1) as f64).max(1.0),
        }
    }

    pub(crate) fn time_of(&self, world: &World, k: u64, rng: &mut Rng) -> i64 {
        let jitter = rng.below((self.interval / 4.0).min(2_000.0) as u64);
        world.start_ms + (k as f64 * self.interval) as i64 + jitter as i64
    }

    pub(crate) fn step(&mut self, world: &World, rng: &mut Rng, ev: &mut Event<'_>) -> Option<i64> {
        let (ip, ua) = HEALTH_MONITORS[(self.k % HEALTH_MONITORS.len() as u64) as usize];
        ev.ip.push_str(ip);
        ev.ua = ua;
        ev.host = API_HOST;
        ev.proto = Proto::H11;
        ev.port = rng.range(1024, 65_535) as u16;
        ev.route(Ep::Health);
        ev.uri.push_str("/health");
        ev.complete(rng, 200);
        self.k += 1;
        Some(self.time_of(world, self.k, rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diurnal_curve() {
        let day = 1_772_409_600_000; // 2026-03-02T00:00:00Z, a Monday
        let at = |h: i64| weight_at(day + h * 3_600_000);
        assert!(at(3) < at(9) / 5.0);
        assert!(at(19) > at(15));
        // Saturday is quieter than Monday.
        assert!(weight_at(day + 5 * DAY_MS + 9 * 3_600_000) < at(9));
    }
}
