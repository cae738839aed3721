//! The clients worth a look: the busiest (a bounded map that forgets the
//! least recently seen, so heavy hitters stay), and every client named by a
//! finding.

use std::collections::BTreeMap;
use std::net::IpAddr;

use linkwell_core::scan::ClientSummary;
use linkwell_core::{CallRecord, Finding};
use linkwell_engine::incidents::FLAGGED_CALLS;
use linkwell_engine::state::GenMap;

/// Clients tracked at once; the busiest are touched often enough to stay.
const TRACKED: usize = 100_000;

pub(crate) struct Clients {
    seen: GenMap<IpAddr, (u64, u64)>,
}

impl Clients {
    pub(crate) fn new() -> Self {
        Clients {
            seen: GenMap::new(TRACKED),
        }
    }

    pub(crate) fn record(&mut self, call: &CallRecord<'_>) {
        let Some(ip) = call.client_ip else { return };
        let c = self.seen.entry(ip, || (0, 0));
        c.0 += 1;
        if (400..500).contains(&call.status) {
            c.1 += 1;
        }
    }

    pub(crate) fn finish(self, findings: &[Finding], k: usize) -> Vec<ClientSummary> {
        let mut busiest: Vec<(IpAddr, (u64, u64))> =
            self.seen.iter().map(|(ip, c)| (*ip, *c)).collect();
        busiest.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
        let mut by_ip: BTreeMap<String, ClientSummary> = BTreeMap::new();
        for (ip, (calls, client_errors)) in busiest.into_iter().take(k) {
            let ip = ip.to_string();
            by_ip.insert(
                ip.clone(),
                ClientSummary {
                    ip,
                    calls,
                    client_errors,
                    ..Default::default()
                },
            );
        }
        for f in findings {
            let Some(ip) = f.client.ip.as_ref() else {
                continue;
            };
            let c = by_ip.entry(ip.clone()).or_insert_with(|| ClientSummary {
                ip: ip.clone(),
                ..Default::default()
            });
            let flagged = f.evidence.get(FLAGGED_CALLS).unwrap_or(1);
            c.findings += 1;
            c.calls = c.calls.max(flagged);
            c.worst = c.worst.max(Some(f.severity));
        }
        let mut v: Vec<_> = by_ip.into_values().collect();
        v.sort_by(|a, b| {
            b.worst
                .cmp(&a.worst)
                .then_with(|| b.findings.cmp(&a.findings))
                .then_with(|| b.calls.cmp(&a.calls))
                .then_with(|| a.ip.cmp(&b.ip))
        });
        v.truncate(k);
        v
    }
}
