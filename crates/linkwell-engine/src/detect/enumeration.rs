//! Broken object-level authorization probing (OWASP API1:2023): one caller
//! walking the object ids of one endpoint template.
//!
//! Signals, per caller (the identity when the call has one, else the
//! address) and endpoint:
//!
//! - **distinct ids** in `enum_window_secs` (a [`SharedState`] distinct set),
//! - **refused share**: 401/403/404 among the calls (two shared counters),
//! - **sequential run**: numeric ids each a small step above the last,
//! - **novelty**: an identity whose busiest earlier window touched only a
//!   few ids of this endpoint suddenly touching many.
//!
//! Ids are counted and ordered from a caller's third call on the endpoint in
//! a window: most pairs make one or two calls, and those then cost a single
//! counter. A caller that never makes three calls in a window has no
//! history, so novelty applies to callers seen at least that busy once.
//!
//! Many ids with mostly refusals is enumeration (high severity). A sequential
//! run of successes by an authenticated caller is reported with lower
//! confidence: it is what a successful BOLA looks like, and also what a
//! partner paging through its own objects by id looks like, which is why
//! `trusted_clients` exempts named partners from that rule. Many ids with
//! successes in random order (a partner reading its customers' accounts) is
//! not reported: without refusals or order there is nothing in the traffic
//! that tells an authorised bulk reader from an unauthorised one.
//!
//! Counts go through [`SharedState`] so every sensor adds to one view. The
//! run and the history are this detector's own, in a bounded [`GenMap`]:
//! the order of one caller's ids only exists on the sensor that sees them
//! (the shared interface has no compare-and-set, and a Redis round trip per
//! call for a read-modify-write would cost more than the whole engine); a
//! sensor that sees every n-th call of a sweep still sees increasing ids,
//! with the step multiplied by n, so `enum_max_step` leaves room for that.

use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::keys::{NameSet, caller, pair, text_hash};
use super::{Detector, Draft};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::{GenMap, Namespace, Premixed, SharedState};

/// Distinct ids per (caller, endpoint).
const IDS: Namespace = Namespace::new("enum.ids");
/// Calls per (caller, endpoint).
const CALLS: Namespace = Namespace::new("enum.calls");
/// Refused calls (401/403/404) per (caller, endpoint).
const REFUSED: Namespace = Namespace::new("enum.refused");
/// The call of a window from which ids are counted and ordered.
const EXAMINE_FROM: u32 = 3;

pub(crate) struct Enumeration {
    tracks: GenMap<u64, Track, Premixed>,
    trusted: NameSet,
    min_ids: u32,
    denied_share: f32,
    window_secs: u32,
    run_min: u32,
    max_step: u64,
    usual_ids: u32,
}

/// One caller's walk on one endpoint, as this sensor sees it.
struct Track {
    /// The last numeric id, if the last id was numeric.
    last_id: Option<u64>,
    /// Numeric ids in a row, each a small step above the one before.
    run: u32,
    /// The window (call time / window length) `peak` belongs to.
    epoch: i64,
    /// Most distinct ids seen in this window.
    peak: u32,
    /// The busiest earlier window that was not reported; None until the
    /// caller has a completed window.
    usual: Option<u32>,
    /// This window was reported, so it does not become the caller's usual.
    flagged: bool,
}

impl Track {
    fn new(epoch: i64) -> Self {
        Track {
            last_id: None,
            run: 0,
            epoch,
            peak: 0,
            usual: None,
            flagged: false,
        }
    }

    fn roll(&mut self, epoch: i64) {
        if epoch == self.epoch {
            return;
        }
        if !self.flagged && self.peak > 0 {
            self.usual = Some(self.usual.map_or(self.peak, |u| u.max(self.peak)));
        }
        self.epoch = epoch;
        self.peak = 0;
        self.flagged = false;
    }

    fn step(&mut self, id: &str, max_step: u64) {
        let n = if id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit()) {
            id.parse::<u64>().ok()
        } else {
            None
        };
        match (n, self.last_id) {
            (Some(n), Some(last)) if n > last && n - last <= max_step => self.run += 1,
            (Some(n), Some(last)) if n == last => {}
            (Some(_), _) => self.run = 1,
            (None, _) => self.run = 0,
        }
        self.last_id = n;
    }
}

impl Enumeration {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Enumeration {
            tracks: GenMap::new(cfg.max_tracked_clients),
            trusted: NameSet::new(&cfg.trusted_clients),
            min_ids: cfg.enum_distinct_ids.max(2),
            denied_share: cfg.enum_denied_share,
            window_secs: cfg.enum_window_secs.max(1),
            run_min: cfg.enum_sequential_run.max(2),
            max_step: cfg.enum_max_step.max(1),
            usual_ids: cfg.enum_usual_ids,
        }
    }
}

/// The concrete value of the template's last parameter segment in `path`.
fn object_id<'p>(template: &str, path: &'p str) -> Option<&'p str> {
    // Segment by segment side by side, by bytes: `str::split` pays a
    // general character search per segment, and this runs on every call
    // to a templated endpoint.
    let (t, p) = (template.as_bytes(), path.as_bytes());
    let seg_end = |s: &[u8], from: usize| {
        s[from..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(s.len(), |i| from + i)
    };
    let (mut ti, mut pi) = (0, 0);
    let mut id = None;
    loop {
        let (te, pe) = (seg_end(t, ti), seg_end(p, pi));
        let seg = &template[ti..te];
        if seg.starts_with('{') && seg != "{overflow}" {
            // Both ends sit on '/' or the end, so these are char boundaries.
            id = Some(&path[pi..pe]);
        }
        if te == t.len() || pe == p.len() {
            break;
        }
        (ti, pi) = (te + 1, pe + 1);
    }
    id.filter(|p| !p.is_empty())
}

impl Detector for Enumeration {
    fn name(&self) -> &'static str {
        "enumeration"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let template = &ctx.endpoint.template;
        if !template.contains('{') {
            return;
        }
        let Some(id) = object_id(template, &ctx.call.path) else {
            return;
        };
        let who = caller(ctx);
        let k = pair(who.hash, ctx.endpoint_hash);
        let now = ctx.call.time;
        let window = self.window_secs;
        let calls = state.add(CALLS.key(k), now, window, 1);
        let refused_call = matches!(ctx.call.status, 401 | 403 | 404);
        let mut refused = refused_call.then(|| state.add(REFUSED.key(k), now, window, 1));
        // Most (caller, endpoint) pairs make a call or two per window; ids
        // are examined from the third call on, which keeps the common call
        // at one counter and costs the thresholds two ids.
        if calls < EXAMINE_FROM {
            return;
        }
        let distinct = state.distinct(IDS.key(k), now, window, text_hash(id.as_bytes(), 0));

        let epoch = now.0.div_euclid(i64::from(window) * 1_000_000);
        let t = self.tracks.entry(k, || Track::new(epoch));
        t.roll(epoch);
        let distinct32 = u32::try_from(distinct).unwrap_or(u32::MAX);
        t.peak = t.peak.max(distinct32);
        t.step(id, self.max_step);
        let sequential = t.run >= self.run_min;
        if distinct32 < self.min_ids && !sequential {
            return;
        }
        let novel = who.identified
            && distinct32 >= self.min_ids
            && t.usual.is_some_and(|u| u <= self.usual_ids);
        let (usual, run) = (t.usual, t.run);
        let refused = *refused.get_or_insert_with(|| state.add(REFUSED.key(k), now, window, 0));
        let share = refused as f32 / calls.max(1) as f32;
        let authenticated = who.identified || !ctx.call.auth.is_empty();
        let many = distinct32 >= self.min_ids;
        let (severity, confidence) = if many && share >= self.denied_share {
            let c = 0.75 + if sequential { 0.1 } else { 0.0 } + if novel { 0.05 } else { 0.0 };
            (Severity::High, c)
        } else if novel && share >= self.denied_share / 2.0 {
            (Severity::Medium, 0.55)
        } else if sequential && authenticated && !self.trusted.contains(ctx, who) {
            let sev = if novel {
                Severity::High
            } else {
                Severity::Medium
            };
            (sev, if novel { 0.6 } else { 0.5 })
        } else {
            return;
        };
        t.flagged = true;
        let name = super::client_of(ctx)
            .identity
            .map_or_else(|| "One client".to_string(), |i| format!("Caller '{i}'"));
        let mut signs = Vec::with_capacity(3);
        if share >= self.denied_share / 2.0 {
            signs.push(format!("was refused {:.0}% of the time", share * 100.0));
        } else {
            signs.push(format!(
                "was answered {:.0}% of the time",
                (1.0 - share) * 100.0
            ));
        }
        if sequential {
            signs.push(format!("walked {run} ids in ascending order up to {id}"));
        }
        if novel {
            signs.push(format!(
                "usually touches at most {} of them",
                usual.unwrap_or(0)
            ));
        }
        let verdict = if share >= self.denied_share / 2.0 {
            "it is walking object ids to find ones it may not own"
        } else {
            "if these objects are not all its own, the API is serving other users' data (broken object-level authorization)"
        };
        let mut d = Draft::new(FindingKind::Enumeration, Owasp::Api1, severity, confidence)
            .count("distinct_ids", distinct)
            .count("calls", u64::from(calls))
            .count("refused", u64::from(refused))
            .count("sequential_run", u64::from(run))
            .explain(format!(
                "{name} requested about {distinct} different objects of {template} within {} minutes and {}: {verdict}.",
                window / 60,
                signs.join(", ")
            ));
        d.cwe = Some(639);
        out.push(d.finish(ctx));
    }
}

#[cfg(test)]
mod tests;
