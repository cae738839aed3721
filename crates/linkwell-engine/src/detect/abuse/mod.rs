//! Unrestricted resource consumption (OWASP API4:2023): page sizes far above
//! what an API should serve, oversized responses, and callers whose rate on
//! an endpoint is far above that endpoint's normal rate for its callers.
//!
//! The rate check compares a caller's calls per `abuse_rate_window_secs` on
//! one endpoint (a [`SharedState`] counter, so every sensor adds to it) with
//! the endpoint's learned peer baseline ([`baseline`]): it fires when the
//! rate exceeds max(`abuse_rate_factor` × the peers' p99, `abuse_rate_floor`),
//! once the endpoint has had `abuse_min_clients` callers. A caller is also
//! compared with its own past: it must be `abuse_jump_factor` × above its own
//! usual peak, so a partner that has always been busy (and so became its own
//! normal while the baseline warmed up) is not reported; windows that were
//! reported never become anyone's normal. A partner that only starts its
//! bulk job once the baseline is warm is reported until it is named in
//! `trusted_clients`.
//!
//! A caller is its identity when the call has one, else its address. For an
//! address without identity that shows many different User-Agents at a high
//! rate (a carrier NAT, an office proxy), the rate judged is the rate per
//! User-Agent seen.

mod baseline;

use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::keys::{NameSet, caller, pair, text_hash};
use super::{Detector, Draft};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::{GenMap, Namespace, Premixed, SharedState};
use baseline::{Baseline, level_of};

/// Calls per (caller, endpoint) per rate window.
const RATE: Namespace = Namespace::new("abuse.rate");
/// User-Agents per (address, endpoint), counted only above the rate floor.
const AGENTS: Namespace = Namespace::new("abuse.agents");
/// Rate windows per baseline epoch: a caller is sampled at most once per
/// level per epoch, and its usual peak is taken per epoch.
const EPOCH_WINDOWS: i64 = 10;
/// Different User-Agents behind one address that make it a shared address.
const SHARED_ADDRESS_AGENTS: u64 = 8;

pub(crate) struct Abuse {
    max_page: u64,
    max_response: u64,
    baselines: GenMap<u64, Baseline, Premixed>,
    callers: GenMap<u64, CallerEp, Premixed>,
    trusted: NameSet,
    window_secs: u32,
    factor: f32,
    floor: u32,
    min_clients: u64,
    jump: f32,
}

/// One caller on one endpoint, as this sensor has learned it.
struct CallerEp {
    epoch: i64,
    /// Ladder levels already sampled this epoch (bit per level).
    sampled: u32,
    /// Highest rate this epoch.
    peak: u32,
    /// Highest rate of earlier epochs that were not reported, fading by an
    /// eighth per active epoch so an old burst does not excuse a new one
    /// forever.
    usual: Option<u32>,
    flagged: bool,
}

impl CallerEp {
    fn new(epoch: i64) -> Self {
        CallerEp {
            epoch,
            sampled: 0,
            peak: 0,
            usual: None,
            flagged: false,
        }
    }

    fn roll(&mut self, epoch: i64) {
        if epoch == self.epoch {
            return;
        }
        let faded = self.usual.map(|u| u - u / 8);
        self.usual = if !self.flagged && self.peak > 0 {
            Some(faded.map_or(self.peak, |u| u.max(self.peak)))
        } else {
            faded
        };
        self.epoch = epoch;
        self.sampled = 0;
        self.peak = 0;
        self.flagged = false;
    }
}

impl Abuse {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Abuse {
            max_page: cfg.max_page_size,
            max_response: cfg.max_response_bytes,
            baselines: GenMap::new(cfg.abuse_max_endpoints),
            callers: GenMap::new(cfg.max_tracked_clients),
            trusted: NameSet::new(&cfg.trusted_clients),
            window_secs: cfg.abuse_rate_window_secs.max(1),
            factor: cfg.abuse_rate_factor,
            floor: cfg.abuse_rate_floor.max(1),
            min_clients: u64::from(cfg.abuse_min_clients),
            jump: cfg.abuse_jump_factor,
        }
    }

    /// The rate check; returns a finding when the caller is far above its
    /// peers and its own past.
    fn rate(&mut self, ctx: &CallContext<'_, '_>, state: &mut dyn SharedState) -> Option<Finding> {
        let who = caller(ctx);
        let ep = ctx.endpoint_hash;
        let k = pair(who.hash, ep);
        let now = ctx.call.time;
        let rate = state.add(RATE.key(k), now, self.window_secs, 1);
        let epoch = now
            .0
            .div_euclid(i64::from(self.window_secs) * 1_000_000 * EPOCH_WINDOWS);
        let base = self.baselines.entry(ep, || Baseline::new(epoch));
        base.saw(epoch, who.hash);
        // Most calls are a caller's first few in a window: nothing more to
        // learn or judge (the limit is never below the floor).
        if rate < baseline::LEVELS[0] {
            return None;
        }
        let me = self.callers.entry(k, || CallerEp::new(epoch));
        me.roll(epoch);
        me.peak = me.peak.max(rate);
        if let Some(j) = level_of(rate)
            && me.sampled & (1 << j) == 0
        {
            me.sampled |= 1 << j;
            base.reached(j);
        }
        // A shared address is judged per User-Agent behind it; agents are
        // counted from half the floor on, so the set is filled by the time
        // the rate could be judged.
        let mut agents = 1;
        if !who.identified && rate >= self.floor / 2 {
            let ua = ctx.call.user_agent.as_deref().unwrap_or("");
            agents = state.distinct(
                AGENTS.key(k),
                now,
                self.window_secs,
                text_hash(ua.as_bytes(), 0),
            );
        }
        if rate <= self.floor || self.trusted.contains(ctx, who) {
            return None;
        }
        let callers = base.callers();
        if callers < self.min_clients {
            return None;
        }
        let p99 = base.quantile(0.99);
        let limit = (self.factor * p99 as f32).max(self.floor as f32);
        let judged = if agents >= SHARED_ADDRESS_AGENTS {
            rate / u32::try_from(agents).unwrap_or(u32::MAX)
        } else {
            rate
        };
        if judged as f32 <= limit {
            return None;
        }
        let me = self.callers.entry(k, || CallerEp::new(epoch));
        if me
            .usual
            .is_some_and(|u| judged as f32 <= self.jump * u as f32)
        {
            return None;
        }
        me.flagged = true;
        let usual = me.usual;
        let mins = self.window_secs / 60;
        let per = if mins <= 1 {
            "minute".to_string()
        } else {
            format!("{mins} minutes")
        };
        let own = usual.map_or_else(
            || "it has no earlier history here".to_string(),
            |u| format!("its own usual peak is {u}"),
        );
        let shared = if judged != rate {
            format!(" (a shared address with {agents} User-Agents: judged per agent)")
        } else {
            String::new()
        };
        Some(
            Draft::new(FindingKind::ResourceAbuse, Owasp::Api4, Severity::Medium, 0.7)
                .count("rate", u64::from(rate))
                .count("peer_p99", u64::from(p99))
                .count("peer_callers", callers)
                .explain(format!(
                    "The client made {rate} calls to {} in the last {per}{shared}, while 99% of its {callers} or so callers stay at or below {p99} and {own}: it is consuming the endpoint far beyond normal use (scraping, a runaway loop, or a denial of service).",
                    ctx.endpoint.template
                ))
                .finish(ctx),
        )
    }
}

const PAGE_PARAMS: &[&str] = &[
    "limit",
    "per_page",
    "page_size",
    "pagesize",
    "size",
    "count",
    "top",
    "$top",
    "max",
];

impl Detector for Abuse {
    fn name(&self) -> &'static str {
        "abuse"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let call = ctx.call;
        // One resource finding per call, the most specific first: a huge
        // page says what is wrong better than the rate it is pulled at.
        let rate = self.rate(ctx, state);
        let page = call.query.as_deref().and_then(|q| {
            q.split('&').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                let param = PAGE_PARAMS.iter().find(|p| name.eq_ignore_ascii_case(p))?;
                let n = value.parse::<u64>().ok().filter(|n| *n > self.max_page)?;
                Some((*param, n))
            })
        });
        if let Some((param, n)) = page {
            out.push(
                Draft::new(FindingKind::ResourceAbuse, Owasp::Api4, Severity::Medium, 0.8)
                    .count("page_size", n)
                    .explain(format!(
                        "The request asks for {n} items per page ('{param}'), more than {} times the limit an API should serve: a way to exhaust the backend or scrape data in bulk.",
                        n / self.max_page.max(1)
                    ))
                    .finish(ctx),
            );
        } else if let Some(f) = rate {
            out.push(f);
        } else if let Some(bytes) = call.response_bytes.filter(|b| *b > self.max_response) {
            out.push(
                Draft::new(FindingKind::ResourceAbuse, Owasp::Api4, Severity::Low, 0.6)
                    .count("response_bytes", bytes)
                    .explain(format!(
                        "The response was {} MiB, above the {} MiB ceiling: check that the endpoint bounds what one call can return.",
                        bytes >> 20,
                        self.max_response >> 20
                    ))
                    .finish(ctx),
            );
        }
    }
}

#[cfg(test)]
mod tests;
