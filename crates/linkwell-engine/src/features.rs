//! Behavioural features: numbers about a call's client and endpoint that
//! detectors (and, later, the learned models) judge instead of raw calls.
//!
//! Computed once per call, before the detectors run, and handed to them in
//! [`CallContext::features`](crate::CallContext); the last call's features
//! are also readable from [`Engine::features`](crate::Engine::features).
//!
//! * **Session**: calls of one client (its authenticated principal, or
//!   address + User-Agent) with no gap longer than `session_idle_secs`.
//! * **Timing regularity**: the coefficient of variation (standard deviation
//!   / mean) of the client's last [`TIMING_GAPS`] inter-arrival gaps. People
//!   click irregularly (CV near 1 or above); a loop with a sleep does not
//!   (CV near 0).
//! * **Endpoint error rate**: share of 4xx and of 5xx answers on the
//!   endpoint in the last `error_window_secs`, and the share of its calls
//!   made by browsers (which is how browser-only flows are learned).
//! * **Geographic velocity**: for an authenticated identity, the speed
//!   implied by its previous and current locations (from the City database),
//!   after subtracting both locations' accuracy radii.
//!
//! State is the tracker's own and bounded: clients and identities by
//! `max_tracked_clients`, endpoints by `max_endpoints`, User-Agent classes
//! by a fixed cache; the least recently seen are forgotten first. These are
//! per-node features (a session is judged by the sensor that sees it).

use std::sync::Arc;

use linkwell_core::{CallRecord, EndpointKey, Timestamp};
use serde::Deserialize;

use crate::config::EngineConfig;
use crate::enrich::{Enrichment, GeoPoint, IntelKind};
use crate::fasthash::FastState;
pub(crate) use crate::fasthash::fast_hash;
use crate::state::{GenMap, ip_hash};
use crate::ua::{self, UaClass};

/// Gaps kept per client for the timing feature.
pub const TIMING_GAPS: usize = 16;
/// Distinct User-Agent strings whose class is remembered.
const UA_CACHE: usize = 8192;

/// `[engine.behaviour]`: the features' windows and the thresholds of the
/// automation and impossible-travel checks.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BehaviourConfig {
    /// A session ends after this long without a call.
    pub session_idle_secs: u32,
    /// Window for the per-endpoint error rates and browser share.
    pub error_window_secs: u32,
    /// Most endpoints tracked for error rates and browser share.
    pub max_endpoints: usize,
    /// Speed (km/h) between two locations of one identity above which the
    /// travel is impossible (airliners cruise at ~900).
    pub travel_max_kmh: f64,
    /// Distances below this (km, after the accuracy radii) are never
    /// impossible travel: geolocation of mobile networks jumps that far.
    pub travel_min_km: f64,
    /// Endpoints (path templates) only browsers should call, in addition to
    /// the learned ones.
    pub browser_paths: Vec<String>,
    /// Endpoints whose calls are never judged as automation (health checks,
    /// machine-to-machine APIs), in addition to the built-in health paths.
    pub automation_exempt_paths: Vec<String>,
    /// An endpoint is learned as browser-only after this many calls in
    /// `error_window_secs` of which at least `browser_share` came from browsers.
    pub browser_min_calls: u32,
    pub browser_share: f32,
    /// Timing below this coefficient of variation is machine-regular.
    pub regular_max_cv: f32,
    /// ... when the mean gap is at most this (a page polled every few
    /// minutes is regular too, but it is not volume).
    pub regular_max_mean_gap_secs: f32,
    /// A client is reported for automation once per reason within this time.
    pub automation_repeat_secs: u32,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        BehaviourConfig {
            session_idle_secs: 1800,
            error_window_secs: 600,
            max_endpoints: 20_000,
            travel_max_kmh: 1000.0,
            travel_min_km: 500.0,
            browser_paths: Vec::new(),
            automation_exempt_paths: Vec::new(),
            browser_min_calls: 100,
            browser_share: 0.95,
            regular_max_cv: 0.1,
            regular_max_mean_gap_secs: 10.0,
            automation_repeat_secs: 3600,
        }
    }
}

/// Timing regularity over the client's last [`TIMING_GAPS`] gaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Standard deviation over mean of the gaps.
    pub cv: f32,
    pub mean_gap_ms: f32,
}

/// A move of one identity between two located calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Travel {
    /// Distance minus both accuracy radii (never negative).
    pub km: f32,
    pub secs: u32,
    /// `km` over the elapsed time; infinite for two places at one instant.
    pub kmh: f32,
    pub from_city: Option<Arc<str>>,
    pub from_country: Option<crate::enrich::Country>,
    /// Whether either end is on an allow or cloud list (a service, not a person).
    pub service: bool,
}

/// The features of one call. See the module docs for their meaning.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub ua: UaClass,
    /// Calls in the client's session so far, this one included.
    pub session_calls: u32,
    pub session_secs: u32,
    pub timing: Option<Timing>,
    /// The client repeated the very same request (path and query) for the
    /// whole timing window: polling, not a flow.
    pub polling: bool,
    pub endpoint_calls: u32,
    pub endpoint_client_error_rate: f32,
    pub endpoint_server_error_rate: f32,
    /// Share of the endpoint's successful (below 400) calls made by
    /// browsers. Failed calls are left out so an attack (stuffing with a
    /// browser User-Agent) cannot teach the endpoint what is normal.
    pub endpoint_browser_share: f32,
    /// The endpoint's successful calls in the window (the share's base).
    pub endpoint_ok_calls: u32,
    pub travel: Option<Travel>,
    /// The session key (principal, or address + User-Agent), hashed.
    pub client_key: u64,
}

struct ClientTrack {
    session_start: Timestamp,
    last: Timestamp,
    calls: u32,
    gaps_ms: [u32; TIMING_GAPS],
    /// Running sum and sum of squares of the gaps in the ring, so the
    /// timing feature costs the same whatever the ring's length.
    gap_sum: u64,
    gap_sumsq: u128,
    n_gaps: u8,
    pos: u8,
    last_request: u64,
    same_request_run: u16,
}

/// Counters of one endpoint: calls, 4xx, 5xx, successful, successful from
/// browsers.
const CALLS: usize = 0;
const CLIENT_ERR: usize = 1;
const SERVER_ERR: usize = 2;
const OK: usize = 3;
const BROWSER_OK: usize = 4;

/// Several counts over one sliding window of 12 slots, sharing the slot
/// arithmetic (one division per call instead of one per counter) and
/// keeping running totals (no summing of slots per call).
struct MultiWindow<const C: usize> {
    slots: [[u32; C]; 12],
    totals: [u32; C],
    head: i64,
    width_us: i64,
}

impl<const C: usize> MultiWindow<C> {
    fn new(window_secs: u32) -> Self {
        MultiWindow {
            slots: [[0; C]; 12],
            totals: [0; C],
            head: i64::MIN,
            width_us: (i64::from(window_secs.max(1)) * 1_000_000 / 12).max(1),
        }
    }

    /// Adds `n` to the counters at `now` and returns the window's totals.
    fn add(&mut self, now: Timestamp, n: [u32; C]) -> [u32; C] {
        let slot = now.0.div_euclid(self.width_us);
        if self.head == i64::MIN || slot - self.head >= 12 {
            self.slots = [[0; C]; 12];
            self.totals = [0; C];
            self.head = slot;
        }
        // Late calls (slot <= head) count in the newest slot.
        while self.head < slot {
            self.head += 1;
            let old = &mut self.slots[self.head.rem_euclid(12) as usize];
            for (t, o) in self.totals.iter_mut().zip(old.iter()) {
                *t = t.saturating_sub(*o);
            }
            *old = [0; C];
        }
        let cur = &mut self.slots[self.head.rem_euclid(12) as usize];
        for i in 0..C {
            cur[i] = cur[i].saturating_add(n[i]);
            self.totals[i] = self.totals[i].saturating_add(n[i]);
        }
        self.totals
    }
}

type EndpointTrack = MultiWindow<5>;

struct Place {
    at: Timestamp,
    point: GeoPoint,
    city: Option<Arc<str>>,
    country: Option<crate::enrich::Country>,
    service: bool,
}

/// Computes [`Features`] per call; see the module docs.
pub struct FeatureTracker {
    cfg: BehaviourConfig,
    clients: GenMap<u64, ClientTrack, FastState>,
    endpoints: GenMap<u64, EndpointTrack, FastState>,
    places: GenMap<u64, Place, FastState>,
    ua_cache: GenMap<u64, UaClass, FastState>,
}

pub(crate) fn endpoint_hash(k: &EndpointKey) -> u64 {
    let h = fast_hash(k.template.as_bytes(), 0x51);
    let h = fast_hash(k.host.as_bytes(), h);
    fast_hash(k.method.as_bytes(), h)
}

/// The identity whose travel is judged: an authenticated principal, or a
/// login name only when the login succeeded (failed attempts name accounts
/// the caller does not own).
pub(crate) fn travel_identity<'a>(call: &'a CallRecord<'_>) -> Option<&'a str> {
    let id = &call.identity;
    id.principal().or_else(|| {
        (200..300)
            .contains(&call.status)
            .then(|| id.login_user.as_deref().or(id.basic_user.as_deref()))
            .flatten()
    })
}

fn rate(part: u32, all: u32) -> f32 {
    if all == 0 {
        0.0
    } else {
        part as f32 / all as f32
    }
}

impl FeatureTracker {
    pub fn new(cfg: &EngineConfig) -> Self {
        let b = cfg.behaviour.clone();
        FeatureTracker {
            clients: GenMap::new(cfg.max_tracked_clients),
            places: GenMap::new(cfg.max_tracked_clients),
            endpoints: GenMap::new(b.max_endpoints),
            ua_cache: GenMap::new(UA_CACHE),
            cfg: b,
        }
    }

    fn ua_class(&mut self, ua: Option<&str>) -> (UaClass, u64) {
        let Some(s) = ua else {
            return (UaClass::Empty, 0);
        };
        let h = fast_hash(s.as_bytes(), 0x75);
        if let Some(c) = self.ua_cache.get(&h) {
            return (*c, h);
        }
        let c = ua::classify(Some(s));
        *self.ua_cache.entry(h, || c) = c;
        (c, h)
    }

    /// Computes the features of `call` into `out` and updates the state.
    pub fn observe(
        &mut self,
        call: &CallRecord<'_>,
        endpoint: &EndpointKey,
        enrich: &Enrichment,
        out: &mut Features,
    ) {
        self.observe_hashed(call, endpoint_hash(endpoint), enrich, out);
    }

    /// [`observe`](Self::observe) for a caller that already hashed the
    /// endpoint (the engine hashes it once per call for every stage).
    pub fn observe_hashed(
        &mut self,
        call: &CallRecord<'_>,
        endpoint_hash: u64,
        enrich: &Enrichment,
        out: &mut Features,
    ) {
        let now = call.time;
        let (ua, ua_hash) = self.ua_class(call.user_agent.as_deref());
        out.ua = ua;

        // Session and timing, per client.
        let principal = call.identity.principal();
        let key = match principal {
            Some(p) => fast_hash(p.as_bytes(), 0x1d),
            None => {
                let ip = call.client_ip.map_or(0, ip_hash);
                linkwell_core::sketch::fmix64(ip ^ ua_hash.rotate_left(17))
            }
        };
        out.client_key = key;
        let request = {
            let h = fast_hash(call.path.as_bytes(), 0x9a);
            fast_hash(call.query.as_deref().unwrap_or_default().as_bytes(), h)
        };
        let idle_us = i64::from(self.cfg.session_idle_secs) * 1_000_000;
        let t = self.clients.entry(key, || ClientTrack {
            session_start: now,
            last: now,
            calls: 0,
            gaps_ms: [0; TIMING_GAPS],
            gap_sum: 0,
            gap_sumsq: 0,
            n_gaps: 0,
            pos: 0,
            last_request: request ^ 1,
            same_request_run: 0,
        });
        let gap_us = now.0.saturating_sub(t.last.0).max(0);
        if t.calls > 0 && gap_us > idle_us {
            t.session_start = now;
            t.calls = 0;
            t.n_gaps = 0;
            t.pos = 0;
            t.gap_sum = 0;
            t.gap_sumsq = 0;
        }
        if t.calls > 0 {
            let slot = &mut t.gaps_ms[usize::from(t.pos)];
            if usize::from(t.n_gaps) == TIMING_GAPS {
                let old = u64::from(*slot);
                t.gap_sum -= old;
                t.gap_sumsq -= u128::from(old) * u128::from(old);
            }
            let gap = (gap_us / 1000).min(i64::from(u32::MAX)) as u64;
            *slot = gap as u32;
            t.gap_sum += gap;
            t.gap_sumsq += u128::from(gap) * u128::from(gap);
            t.pos = ((usize::from(t.pos) + 1) % TIMING_GAPS) as u8;
            t.n_gaps = (t.n_gaps + 1).min(TIMING_GAPS as u8);
        }
        t.same_request_run = if t.last_request == request {
            t.same_request_run.saturating_add(1)
        } else {
            0
        };
        t.last_request = request;
        t.calls = t.calls.saturating_add(1);
        t.last = Timestamp(t.last.0.max(now.0));
        out.session_calls = t.calls;
        out.session_secs =
            ((t.last.0 - t.session_start.0) / 1_000_000).clamp(0, i64::from(u32::MAX)) as u32;
        out.polling = usize::from(t.same_request_run) >= TIMING_GAPS;
        let n = TIMING_GAPS as u64;
        // Gaps under the timestamps' resolution (mean below 1 ms) say nothing.
        out.timing = (usize::from(t.n_gaps) == TIMING_GAPS && t.gap_sum >= n).then(|| {
            // n²·variance = n·Σg² − (Σg)², exact in integers.
            let spread = (u128::from(n) * t.gap_sumsq)
                .saturating_sub(u128::from(t.gap_sum) * u128::from(t.gap_sum));
            Timing {
                cv: ((spread as f64).sqrt() / t.gap_sum as f64) as f32,
                mean_gap_ms: (t.gap_sum as f64 / n as f64) as f32,
            }
        });

        // Endpoint error rates and browser share.
        let win = self.cfg.error_window_secs;
        let e = self
            .endpoints
            .entry(endpoint_hash, || EndpointTrack::new(win));
        let good = call.status < 400;
        let mut n = [0u32; 5];
        n[CALLS] = 1;
        n[CLIENT_ERR] = u32::from((400..500).contains(&call.status));
        n[SERVER_ERR] = u32::from(call.status >= 500);
        n[OK] = u32::from(good);
        n[BROWSER_OK] = u32::from(good && ua.is_browser());
        let totals = e.add(now, n);
        let (calls, ce, se, ok, br) = (
            totals[CALLS],
            totals[CLIENT_ERR],
            totals[SERVER_ERR],
            totals[OK],
            totals[BROWSER_OK],
        );
        out.endpoint_calls = calls;
        out.endpoint_client_error_rate = rate(ce, calls);
        out.endpoint_server_error_rate = rate(se, calls);
        out.endpoint_browser_share = rate(br, ok);
        out.endpoint_ok_calls = ok;

        // Geographic velocity, per identity.
        out.travel = None;
        if let (Some(id), Some(point)) = (travel_identity(call), enrich.location) {
            let service =
                enrich.intel.any_kind(IntelKind::Cloud) || enrich.intel.any_kind(IntelKind::Allow);
            let here = Place {
                at: now,
                point,
                city: enrich.city.clone(),
                country: enrich.country,
                service,
            };
            let idk = fast_hash(id.as_bytes(), 0x7a);
            let prev = self.places.entry(idk, || Place {
                at: Timestamp(i64::MIN),
                point,
                city: None,
                country: None,
                service: false,
            });
            if prev.at.0 != i64::MIN && now.0 >= prev.at.0 {
                let raw = prev.point.distance_km(&point);
                let slack = f64::from(prev.point.radius_km) + f64::from(point.radius_km);
                let km = (raw - slack).max(0.0);
                let secs = (now.0 - prev.at.0) as f64 / 1e6;
                let kmh = if secs > 0.0 {
                    km / (secs / 3600.0)
                } else if km > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                };
                out.travel = Some(Travel {
                    km: km as f32,
                    secs: secs.min(f64::from(u32::MAX)) as u32,
                    kmh: kmh as f32,
                    from_city: prev.city.clone(),
                    from_country: prev.country,
                    service: service || prev.service,
                });
            }
            if now.0 >= prev.at.0 {
                *prev = here;
            }
        }
    }

    pub fn config(&self) -> &BehaviourConfig {
        &self.cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linkwell_core::Method;

    fn call(ip: &str, ua: &str, path: &str, status: u16, ms: i64) -> CallRecord<'static> {
        let mut c = CallRecord {
            time: Timestamp::from_millis(1_772_400_000_000 + ms),
            client_ip: ip.parse().ok(),
            method: Some(Method::Get),
            status,
            user_agent: Some(ua.to_string().into()),
            ..Default::default()
        };
        c.set_target(path.to_string().into());
        c
    }

    fn key() -> EndpointKey {
        EndpointKey::new("GET", "api.example.com", "/v1/items/{id}")
    }

    #[test]
    fn sessions_split_on_idle_gaps() {
        let mut ft = FeatureTracker::new(&EngineConfig::default());
        let mut f = Features::default();
        let e = Enrichment::default();
        for i in 0..5 {
            ft.observe(
                &call("192.0.2.1", "curl/8", "/v1/items/1", 200, i * 1000),
                &key(),
                &e,
                &mut f,
            );
        }
        assert_eq!(f.session_calls, 5);
        assert_eq!(f.session_secs, 4);
        // 31 minutes later: a new session.
        ft.observe(
            &call(
                "192.0.2.1",
                "curl/8",
                "/v1/items/1",
                200,
                4000 + 31 * 60_000,
            ),
            &key(),
            &e,
            &mut f,
        );
        assert_eq!(f.session_calls, 1);
        // Another User-Agent from the same address is another client.
        ft.observe(
            &call("192.0.2.1", "Wget/1.21", "/v1/items/1", 200, 4000),
            &key(),
            &e,
            &mut f,
        );
        assert_eq!(f.session_calls, 1);
    }

    #[test]
    fn timing_regularity() {
        let mut ft = FeatureTracker::new(&EngineConfig::default());
        let e = Enrichment::default();
        let mut f = Features::default();
        // A loop sleeping 2 s.
        for i in 0..=TIMING_GAPS as i64 {
            ft.observe(
                &call("192.0.2.2", "bot", &format!("/v1/items/{i}"), 200, i * 2000),
                &key(),
                &e,
                &mut f,
            );
        }
        let t = f.timing.unwrap_or(Timing {
            cv: 9.0,
            mean_gap_ms: 0.0,
        });
        assert!(t.cv < 0.01 && (t.mean_gap_ms - 2000.0).abs() < 1.0, "{t:?}");
        assert!(!f.polling);
        // A person: irregular gaps.
        let gaps = [
            300i64, 4200, 800, 15_000, 1200, 90, 7000, 2500, 600, 30_000, 1800, 400, 9000, 3000,
            150, 5000,
        ];
        let mut at = 0;
        for g in gaps.iter().chain([&1000]) {
            ft.observe(
                &call(
                    "192.0.2.3",
                    "Mozilla/5.0 Firefox/125.0",
                    "/v1/items/1",
                    200,
                    at,
                ),
                &key(),
                &e,
                &mut f,
            );
            at += g;
        }
        assert!(f.timing.is_some_and(|t| t.cv > 0.8), "{:?}", f.timing);
        // The same request every time is polling.
        assert!(f.polling);
    }

    #[test]
    fn timing_window_rolls() {
        let mut ft = FeatureTracker::new(&EngineConfig::default());
        let e = Enrichment::default();
        let mut f = Features::default();
        let mut at = 0;
        // Twenty slow gaps, then sixteen fast ones: only the fast ones count.
        for g in std::iter::repeat_n(5000, 20).chain(std::iter::repeat_n(1000, 16)) {
            ft.observe(&call("192.0.2.9", "x", "/a", 200, at), &key(), &e, &mut f);
            at += g;
        }
        ft.observe(&call("192.0.2.9", "x", "/a", 200, at), &key(), &e, &mut f);
        let t = f.timing.unwrap_or(Timing {
            cv: 9.0,
            mean_gap_ms: 0.0,
        });
        assert!(
            t.cv < 1e-6 && (t.mean_gap_ms - 1000.0).abs() < 1e-3,
            "{t:?}"
        );
    }

    #[test]
    fn endpoint_rates() {
        let mut ft = FeatureTracker::new(&EngineConfig::default());
        let e = Enrichment::default();
        let mut f = Features::default();
        for i in 0..10 {
            let status = if i < 3 {
                404
            } else if i == 3 {
                503
            } else {
                200
            };
            let ua = if i % 3 != 0 {
                "curl/8"
            } else {
                "Mozilla/5.0 Chrome/124.0 Safari/537.36"
            };
            ft.observe(
                &call(&format!("192.0.2.{i}"), ua, "/v1/items/1", status, i * 10),
                &key(),
                &e,
                &mut f,
            );
        }
        assert_eq!(f.endpoint_calls, 10);
        assert!((f.endpoint_client_error_rate - 0.3).abs() < 1e-6);
        assert!((f.endpoint_server_error_rate - 0.1).abs() < 1e-6);
        // Six successful calls, two of them from browsers (the two failed
        // browser calls do not count).
        assert_eq!(f.endpoint_ok_calls, 6);
        assert!((f.endpoint_browser_share - 2.0 / 6.0).abs() < 1e-6);
    }

    #[test]
    fn multi_window_slides() {
        let mut w: MultiWindow<2> = MultiWindow::new(600);
        let t = |s: i64| Timestamp::from_secs(1_000_000 + s);
        for s in 0..100 {
            w.add(t(s), [1, u32::from(s % 2 == 0)]);
        }
        assert_eq!(w.add(t(100), [0, 0]), [100, 50]);
        // Slots are 50 s: at 620 s the window holds 50..99 only.
        assert_eq!(w.add(t(620), [0, 0]), [50, 25]);
        assert_eq!(w.add(t(2000), [1, 0]), [1, 0]);
        // A late call counts in the newest slot.
        assert_eq!(w.add(t(1990), [1, 1]), [2, 1]);
    }

    #[test]
    fn state_stays_bounded() {
        let cfg = EngineConfig {
            max_tracked_clients: 1000,
            ..Default::default()
        };
        let mut ft = FeatureTracker::new(&cfg);
        let e = Enrichment::default();
        let mut f = Features::default();
        for i in 0..100_000u32 {
            let ip = std::net::IpAddr::from(i.to_be_bytes()).to_string();
            ft.observe(
                &call(&ip, &format!("ua-{i}"), "/x", 200, i64::from(i)),
                &key(),
                &e,
                &mut f,
            );
        }
        assert!(ft.clients.len() <= 1000);
        assert!(ft.ua_cache.len() <= UA_CACHE);
    }
}
