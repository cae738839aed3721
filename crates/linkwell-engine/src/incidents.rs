//! Folding per-call findings into incidents.
//!
//! A stuffing run is hundreds of calls but one thing to act on. The book
//! keeps one incident per (kind, client, endpoint): first and last seen,
//! the strongest severity and confidence, the latest explanation (detectors
//! report running totals, so the latest sentence has the largest numbers),
//! the largest value of each evidence count, and `flagged_calls`, the number
//! of calls that carried this finding.
//!
//! Scanning and injection are about the client, not one endpoint: a scanner
//! probing 300 paths is one incident, not 300. For those kinds the key leaves
//! the endpoint out; the incident keeps the first endpoint and counts the
//! distinct endpoints touched.

use std::collections::{BTreeSet, HashMap};

use linkwell_core::{EndpointKey, Finding, FindingKind};

type Key = (FindingKind, Option<String>, Option<EndpointKey>);

pub struct IncidentBook {
    index: HashMap<Key, usize>,
    incidents: Vec<Finding>,
    /// Per incident, the endpoints seen (client-scoped kinds only; capped).
    endpoints: Vec<Option<BTreeSet<EndpointKey>>>,
    cap: usize,
    dropped: u64,
}

/// The evidence count the book maintains itself.
pub const FLAGGED_CALLS: &str = "flagged_calls";
/// Distinct endpoints of a client-scoped incident.
pub const DISTINCT_ENDPOINTS: &str = "distinct_endpoints";
/// Most endpoints remembered per client-scoped incident.
const MAX_ENDPOINTS_TRACKED: usize = 1000;

fn client_scoped(kind: FindingKind) -> bool {
    matches!(kind, FindingKind::Scanning | FindingKind::Injection)
}

impl IncidentBook {
    pub fn new(cap: usize) -> Self {
        IncidentBook {
            index: HashMap::new(),
            incidents: Vec::new(),
            endpoints: Vec::new(),
            cap,
            dropped: 0,
        }
    }

    pub fn record(&mut self, f: &Finding) {
        let scoped = client_scoped(f.kind);
        let key = (
            f.kind,
            f.client.ip.clone(),
            if scoped { None } else { f.endpoint.clone() },
        );
        if let Some(&i) = self.index.get(&key) {
            merge(&mut self.incidents[i], f);
            if let (Some(set), Some(ep)) = (self.endpoints[i].as_mut(), f.endpoint.as_ref()) {
                if set.len() < MAX_ENDPOINTS_TRACKED {
                    set.insert(ep.clone());
                }
                let n = set.len() as u64;
                self.incidents[i].evidence.set_count(DISTINCT_ENDPOINTS, n);
            }
            return;
        }
        if self.incidents.len() >= self.cap {
            self.dropped += 1;
            return;
        }
        let mut inc = f.clone();
        inc.evidence.set_count(FLAGGED_CALLS, 1);
        self.endpoints.push(scoped.then(|| {
            inc.evidence.set_count(DISTINCT_ENDPOINTS, 1);
            f.endpoint.iter().cloned().collect()
        }));
        self.index.insert(key, self.incidents.len());
        self.incidents.push(inc);
    }

    pub fn len(&self) -> usize {
        self.incidents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty()
    }

    /// Findings not kept because the book was full (counted, never silent).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn iter(&self) -> impl Iterator<Item = &Finding> {
        self.incidents.iter()
    }

    /// Incidents, in [`sort_findings`] order.
    pub fn into_findings(self) -> Vec<Finding> {
        let mut v = self.incidents;
        sort_findings(&mut v);
        v
    }
}

/// The order findings are shown in everywhere: most severe first, then most
/// flagged calls, then earliest, then by kind and client for a stable tie-break.
pub fn sort_findings(v: &mut [Finding]) {
    let flagged = |f: &Finding| f.evidence.get(FLAGGED_CALLS).unwrap_or(0);
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| flagged(b).cmp(&flagged(a)))
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.client.ip.cmp(&b.client.ip))
    });
}

fn merge(inc: &mut Finding, f: &Finding) {
    inc.first_seen = inc.first_seen.min(f.first_seen);
    inc.last_seen = inc.last_seen.max(f.last_seen);
    inc.severity = inc.severity.max(f.severity);
    inc.confidence = inc.confidence.max(f.confidence);
    inc.explanation.clone_from(&f.explanation);
    if inc.client.identity.is_none() {
        inc.client.identity.clone_from(&f.client.identity);
    }
    if inc.cwe.is_none() {
        inc.cwe = f.cwe;
    }
    for (name, v) in &f.evidence.counts {
        let cur = inc.evidence.get(name).unwrap_or(0);
        if *v > cur {
            inc.evidence.set_count(name, *v);
        }
    }
    let flagged = inc.evidence.get(FLAGGED_CALLS).unwrap_or(0) + 1;
    inc.evidence.set_count(FLAGGED_CALLS, flagged);
    for s in &f.evidence.samples {
        inc.evidence.add_sample(*s);
    }
    for e in &f.evidence.excerpts {
        inc.evidence.add_excerpt(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linkwell_core::{ClientRef, Evidence, Owasp, Severity, SourceRef, Timestamp};

    fn f(ip: &str, t: i64, n: u64, line: u64) -> Finding {
        let mut evidence = Evidence::default().count("failed_logins", n);
        evidence.add_sample(SourceRef { input: 0, line });
        Finding {
            kind: FindingKind::CredentialStuffing,
            owasp: Owasp::Api2,
            severity: Severity::High,
            confidence: 0.8,
            client: ClientRef {
                ip: Some(ip.into()),
                ..Default::default()
            },
            endpoint: Some(EndpointKey::new("POST", "h", "/login")),
            first_seen: Timestamp::from_secs(t),
            last_seen: Timestamp::from_secs(t),
            evidence,
            explanation: format!("{n} failures"),
            cwe: None,
        }
    }

    #[test]
    fn merges_by_kind_client_endpoint() {
        let mut b = IncidentBook::new(10);
        b.record(&f("1.2.3.4", 100, 20, 1));
        b.record(&f("1.2.3.4", 160, 25, 7));
        b.record(&f("5.6.7.8", 120, 20, 3));
        let v = b.into_findings();
        assert_eq!(v.len(), 2);
        let a = &v[0];
        assert_eq!(a.client.ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(a.evidence.get("failed_logins"), Some(25));
        assert_eq!(a.evidence.get(FLAGGED_CALLS), Some(2));
        assert_eq!(a.first_seen, Timestamp::from_secs(100));
        assert_eq!(a.last_seen, Timestamp::from_secs(160));
        assert_eq!(a.explanation, "25 failures");
        assert_eq!(a.evidence.samples.len(), 2);
    }

    #[test]
    fn scanning_is_one_incident_per_client() {
        let mut b = IncidentBook::new(10);
        for (i, path) in ["/.env", "/.git/config", "/admin", "/.env"]
            .iter()
            .enumerate()
        {
            let mut x = f("1.2.3.4", i as i64, 1, i as u64);
            x.kind = FindingKind::Scanning;
            x.endpoint = Some(EndpointKey::new("GET", "h", *path));
            b.record(&x);
        }
        let v = b.into_findings();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].evidence.get(DISTINCT_ENDPOINTS), Some(3));
        assert_eq!(v[0].evidence.get(FLAGGED_CALLS), Some(4));
        assert_eq!(
            v[0].endpoint.as_ref().map(|e| e.template.as_str()),
            Some("/.env")
        );
    }

    #[test]
    fn bounded() {
        let mut b = IncidentBook::new(2);
        for i in 0..5 {
            b.record(&f(&format!("10.0.0.{i}"), 1, 1, 1));
        }
        assert_eq!(b.len(), 2);
        assert_eq!(b.dropped(), 3);
    }
}
