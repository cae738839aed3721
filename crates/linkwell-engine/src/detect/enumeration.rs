//! Broken object-level authorization probing (OWASP API1:2023): one caller
//! walking the object ids of one endpoint, mostly getting 403 or 404.
//!
//! Honest clients touch a handful of their own objects; an enumerator
//! touches dozens to thousands of ids and is refused most of the time. State
//! is per (caller, endpoint) with a distinct-count sketch of the ids, reset
//! every window (a tumbling window keeps the sketch small and mergeable).

use std::net::IpAddr;

use linkwell_core::sketch::{Hll, hash64};
use linkwell_core::{Finding, FindingKind, Owasp, Severity, Timestamp};

use super::{Detector, Draft, ip_key};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::GenMap;
use crate::state::SharedState;

pub(crate) struct Enumeration {
    state: GenMap<(IpAddr, u64), State>,
    min_ids: u32,
    denied_share: f32,
    window_us: i64,
}

struct State {
    since: Timestamp,
    ids: Hll,
    calls: u32,
    denied: u32,
    min_id: Option<u64>,
    max_id: Option<u64>,
}

impl State {
    fn new(since: Timestamp) -> Self {
        State {
            since,
            ids: Hll::new(6),
            calls: 0,
            denied: 0,
            min_id: None,
            max_id: None,
        }
    }
}

impl Enumeration {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Enumeration {
            state: GenMap::new(cfg.max_tracked_clients),
            min_ids: cfg.enum_distinct_ids,
            denied_share: cfg.enum_denied_share,
            window_us: i64::from(cfg.enum_window_secs) * 1_000_000,
        }
    }
}

/// The concrete values of the template's parameter segments in `path`.
fn object_ids<'p>(template: &str, path: &'p str) -> impl Iterator<Item = &'p str> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter(|(t, _)| t.starts_with('{') && *t != "{overflow}")
        .map(|(_, p)| p)
}

impl Detector for Enumeration {
    fn name(&self) -> &'static str {
        "enumeration"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        _state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let template = &ctx.endpoint.template;
        if !template.contains('{') {
            return;
        }
        let Some(id) = object_ids(template, &ctx.call.path).last() else {
            return;
        };
        let caller = ctx.call.identity.principal().unwrap_or("");
        let k = (
            ip_key(ctx),
            hash64(format!("{caller}\u{0}{}", ctx.endpoint).as_bytes()),
        );
        let now = ctx.call.time;
        let st = self.state.entry(k, || State::new(now));
        if now.0 - st.since.0 > self.window_us {
            *st = State::new(now);
        }
        st.calls += 1;
        st.ids.insert(id.as_bytes());
        if matches!(ctx.call.status, 401 | 403 | 404) {
            st.denied += 1;
        }
        if let Ok(n) = id.parse::<u64>() {
            st.min_id = Some(st.min_id.map_or(n, |m| m.min(n)));
            st.max_id = Some(st.max_id.map_or(n, |m| m.max(n)));
        }
        let share = st.denied as f32 / st.calls as f32;
        if st.calls < self.min_ids || share < self.denied_share {
            return;
        }
        let distinct = st.ids.estimate();
        if distinct >= u64::from(self.min_ids) {
            let range = match (st.min_id, st.max_id) {
                (Some(a), Some(b)) => format!(" (ids {a} to {b})"),
                _ => String::new(),
            };
            let who = if caller.is_empty() {
                "One client".to_string()
            } else {
                format!("Caller '{caller}'")
            };
            out.push(
                Draft::new(FindingKind::Enumeration, Owasp::Api1, Severity::High, 0.8)
                    .count("distinct_ids", distinct)
                    .count("calls", u64::from(st.calls))
                    .count("denied", u64::from(st.denied))
                    .explain(format!(
                        "{who} requested about {distinct} different objects of {}{range} and was refused {:.0}% of the time: it is walking object ids to find ones it may not own.",
                        ctx.endpoint.template,
                        share * 100.0
                    ))
                    .finish(ctx),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::Harness;
    use crate::detect::testkit::{call, key};
    use linkwell_core::Method;

    #[test]
    fn sequential_walk_is_caught_and_owner_is_not() {
        let mut h = Harness::default();
        let mut d = Enumeration::new(&EngineConfig::default());
        let k = key("GET", "/v1/accounts/{id}");
        let mut out = vec![];
        for i in 0..60 {
            let status = if i % 10 == 0 { 200 } else { 403 };
            let c = call(
                "198.51.100.20",
                Method::Get,
                &format!("/v1/accounts/{}", 10_000_000 + i),
                status,
                i,
            );
            h.run(&mut d, &c, &k, &mut out);
        }
        assert!(!out.is_empty());
        assert!(
            out[0].explanation.contains("10000000"),
            "{}",
            out[0].explanation
        );
        let mut quiet = vec![];
        for i in 0..300 {
            let c = call(
                "203.0.113.5",
                Method::Get,
                &format!("/v1/accounts/{}", 1 + i % 3),
                200,
                i,
            );
            h.run(&mut d, &c, &k, &mut quiet);
        }
        assert!(quiet.is_empty());
    }
}
