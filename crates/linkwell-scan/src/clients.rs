//! The clients worth a look: the busiest (heavy-hitter sketch, bounded), and
//! every client named by a finding.

use std::collections::BTreeMap;

use linkwell_core::scan::ClientSummary;
use linkwell_core::sketch::TopK;
use linkwell_core::{CallRecord, Finding};

pub(crate) struct Clients {
    calls: TopK,
    errors: TopK,
    buf: String,
}

impl Clients {
    pub(crate) fn new(k: usize) -> Self {
        Clients {
            calls: TopK::new(k * 4),
            errors: TopK::new(k * 4),
            buf: String::new(),
        }
    }

    pub(crate) fn record(&mut self, call: &CallRecord<'_>) {
        use std::fmt::Write;
        let Some(ip) = call.client_ip else { return };
        self.buf.clear();
        let _ = write!(self.buf, "{ip}");
        self.calls.add(&self.buf, 1);
        if (400..500).contains(&call.status) {
            self.errors.add(&self.buf, 1);
        }
    }

    pub(crate) fn finish(self, findings: &[Finding], k: usize) -> Vec<ClientSummary> {
        let errors: BTreeMap<String, u64> = self.errors.top().into_iter().collect();
        let mut by_ip: BTreeMap<String, ClientSummary> = BTreeMap::new();
        for (ip, calls) in self.calls.top() {
            let client_errors = errors.get(&ip).copied().unwrap_or(0);
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
            let flagged = f.evidence.get("flagged_calls").unwrap_or(1);
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
