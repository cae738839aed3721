//! Scoring findings against the simulator's ground truth, so the quick start
//! and the tests can say which labelled attacks were found.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use linkwell_core::{CallRecord, Finding, FindingKind, Verdict};

use crate::AttackLabel;

/// One label and whether a finding matched it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scored<'a> {
    pub label: &'a AttackLabel,
    pub detected: bool,
}

/// A label is detected when a finding of the same kind names one of the
/// label's clients (an address, or a network containing or equal to the
/// label's); endpoint-level labels (shadow, zombie) match on the endpoint.
pub fn score<'a>(labels: &'a [AttackLabel], findings: &[Finding]) -> Vec<Scored<'a>> {
    labels
        .iter()
        .map(|label| Scored {
            label,
            detected: findings.iter().any(|f| matches(label, f)),
        })
        .collect()
}

/// Client-level result for one attack class (all labels of one kind).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassRecall {
    /// A `FindingKind` name.
    pub kind: String,
    /// Labelled attacks of this kind.
    pub attacks: usize,
    /// Distinct attacking addresses.
    pub clients: usize,
    /// Attacking addresses at least one of whose calls got a finding of
    /// this kind.
    pub caught: usize,
    pub recall: f64,
}

/// How a scan did against the simulator's ground truth, per client: the
/// numbers the detection issue's acceptance asks for.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Client-level attack classes, in a stable order (endpoint-level labels,
    /// shadow and zombie endpoints, are scored by [`score`] instead).
    pub classes: Vec<ClassRecall>,
    /// Distinct addresses that sent benign traffic.
    pub benign_clients: u64,
    /// Distinct benign addresses any of whose calls got a finding.
    pub benign_flagged: u64,
    pub benign_flagged_share: f64,
    /// Up to 20 of them, for a look.
    pub benign_flagged_sample: Vec<String>,
}

/// Kinds that name the same attacker in different words: whether failed
/// logins are stuffing or brute force depends on whether the source logs
/// user names, so either counts for the other.
fn same_class(label_kind: &str, found: FindingKind) -> bool {
    let f = found.name();
    f == label_kind
        || matches!(
            (label_kind, found),
            ("credential-stuffing", FindingKind::BruteForce)
                | ("brute-force", FindingKind::CredentialStuffing)
        )
}

/// What the engine's verdicts said about each client address, call by
/// call: the finding kinds any of its calls carried. Filled from the scan's
/// call sink, so a group finding (a network, a user agent) counts for every
/// address whose calls it was attached to — including honest ones.
#[derive(Debug, Default)]
pub struct Verdicts {
    by_ip: HashMap<IpAddr, BTreeSet<FindingKind>>,
}

impl Verdicts {
    pub fn record(&mut self, call: &CallRecord<'_>, verdict: &Verdict) {
        if verdict.findings.is_empty() {
            return;
        }
        let Some(ip) = call.client_ip else { return };
        self.by_ip
            .entry(ip)
            .or_default()
            .extend(verdict.findings.iter().map(|f| f.kind));
    }

    pub fn flagged_clients(&self) -> usize {
        self.by_ip.len()
    }
}

/// Scores the verdicts per attacking client and counts benign clients
/// flagged. `benign_clients` comes from the simulator's summary.
pub fn evaluate(labels: &[AttackLabel], benign_clients: u64, verdicts: &Verdicts) -> Evaluation {
    let client_level =
        |l: &AttackLabel| !matches!(l.kind.as_str(), "shadow-endpoint" | "zombie-endpoint");
    let mut kinds: Vec<&str> = labels
        .iter()
        .filter(|l| client_level(l))
        .map(|l| l.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let classes = kinds
        .into_iter()
        .map(|kind| {
            let of_kind: Vec<&AttackLabel> = labels.iter().filter(|l| l.kind == kind).collect();
            let mut addrs: Vec<IpAddr> = of_kind
                .iter()
                .flat_map(|l| {
                    if l.addresses.is_empty() {
                        &l.clients
                    } else {
                        &l.addresses
                    }
                })
                .filter_map(|a| a.parse().ok())
                .collect();
            addrs.sort_unstable();
            addrs.dedup();
            let caught = addrs
                .iter()
                .filter(|a| {
                    verdicts
                        .by_ip
                        .get(a)
                        .is_some_and(|ks| ks.iter().any(|k| same_class(kind, *k)))
                })
                .count();
            ClassRecall {
                kind: kind.to_string(),
                attacks: of_kind.len(),
                clients: addrs.len(),
                caught,
                recall: if addrs.is_empty() {
                    1.0
                } else {
                    caught as f64 / addrs.len() as f64
                },
            }
        })
        .collect();
    let attacker = |ip: &IpAddr| {
        let s = ip.to_string();
        labels
            .iter()
            .flat_map(|l| l.clients.iter().chain(&l.addresses))
            .any(|c| overlaps(&s, c))
    };
    let mut flagged: Vec<IpAddr> = verdicts
        .by_ip
        .keys()
        .filter(|ip| !attacker(ip))
        .copied()
        .collect();
    flagged.sort_unstable();
    Evaluation {
        classes,
        benign_clients,
        benign_flagged: flagged.len() as u64,
        benign_flagged_share: if benign_clients == 0 {
            0.0
        } else {
            flagged.len() as f64 / benign_clients as f64
        },
        benign_flagged_sample: flagged.iter().take(20).map(|s| s.to_string()).collect(),
    }
}

fn matches(label: &AttackLabel, f: &Finding) -> bool {
    if f.kind.name() != label.kind {
        return false;
    }
    if matches!(
        f.kind,
        FindingKind::ShadowEndpoint | FindingKind::ZombieEndpoint
    ) {
        let Some(ep) = &f.endpoint else { return false };
        let (method, path) = label
            .endpoint
            .split_once(' ')
            .unwrap_or(("", &label.endpoint));
        return ep.method == method && same_shape(&ep.template, path);
    }
    let Some(found) = f.client.ip.as_deref() else {
        return false;
    };
    label.clients.iter().any(|c| overlaps(found, c))
}

/// Templates are equal up to parameter names (`{id}` vs `{accountId}`).
fn same_shape(a: &str, b: &str) -> bool {
    let seg = |s: &str| s.starts_with('{') && s.ends_with('}');
    let (a, b): (Vec<_>, Vec<_>) = (a.split('/').collect(), b.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || (seg(x) && seg(y)))
}

/// `a` and `b` are addresses or CIDR networks; true when one contains the other.
fn overlaps(a: &str, b: &str) -> bool {
    let (Some(na), Some(nb)) = (net(a), net(b)) else {
        return a == b;
    };
    let len = na.1.min(nb.1);
    prefix(na.0, len) == prefix(nb.0, len) && na.0.is_ipv4() == nb.0.is_ipv4()
}

fn net(s: &str) -> Option<(IpAddr, u8)> {
    match s.split_once('/') {
        Some((ip, len)) => Some((ip.parse().ok()?, len.parse().ok()?)),
        None => {
            let ip: IpAddr = s.parse().ok()?;
            Some((ip, if ip.is_ipv4() { 32 } else { 128 }))
        }
    }
}

fn prefix(ip: IpAddr, len: u8) -> u128 {
    let (bits, width) = match ip {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32u32),
        IpAddr::V6(v) => (u128::from(v), 128u32),
    };
    let len = u32::from(len).min(width);
    if len == 0 { 0 } else { bits >> (width - len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(kind: &str, clients: &[&str], addresses: &[&str]) -> AttackLabel {
        AttackLabel {
            kind: kind.into(),
            owasp: "API2:2023".into(),
            clients: clients.iter().map(|s| s.to_string()).collect(),
            addresses: addresses.iter().map(|s| s.to_string()).collect(),
            endpoint: "POST /v1/auth/login".into(),
            start: linkwell_core::Timestamp(0),
            end: linkwell_core::Timestamp(0),
            calls: 1,
            description: String::new(),
        }
    }

    fn flag(v: &mut Verdicts, ip: &str, kind: FindingKind) {
        let call = CallRecord {
            client_ip: ip.parse().ok(),
            ..Default::default()
        };
        let verdict = Verdict {
            findings: vec![Finding {
                kind,
                owasp: linkwell_core::Owasp::Api2,
                severity: linkwell_core::Severity::High,
                confidence: 1.0,
                client: Default::default(),
                endpoint: None,
                first_seen: linkwell_core::Timestamp(0),
                last_seen: linkwell_core::Timestamp(0),
                evidence: Default::default(),
                explanation: String::new(),
                cwe: None,
            }],
            ..Default::default()
        };
        v.record(&call, &verdict);
    }

    #[test]
    fn per_client_recall_and_benign_share() {
        let labels = [
            label(
                "credential-stuffing",
                &["45.155.205.0/24"],
                &["45.155.205.7", "45.155.205.9", "45.155.206.1"],
            ),
            label("scanning", &["162.243.10.15"], &["162.243.10.15"]),
        ];
        let mut v = Verdicts::default();
        // Two of the three stuffing addresses had a call flagged.
        flag(&mut v, "45.155.205.7", FindingKind::CredentialStuffing);
        flag(&mut v, "45.155.206.1", FindingKind::BruteForce);
        // Wrong kind for the scanner: not caught.
        flag(&mut v, "162.243.10.15", FindingKind::Injection);
        // Two benign clients flagged, one of them twice.
        flag(&mut v, "81.2.69.160", FindingKind::Scanning);
        flag(&mut v, "81.2.69.161", FindingKind::Enumeration);
        flag(&mut v, "81.2.69.161", FindingKind::Scanning);
        let e = evaluate(&labels, 1000, &v);
        assert_eq!(e.classes.len(), 2);
        assert_eq!(e.classes[0].kind, "credential-stuffing");
        assert_eq!((e.classes[0].clients, e.classes[0].caught), (3, 2));
        assert_eq!((e.classes[1].clients, e.classes[1].caught), (1, 0));
        assert_eq!(e.benign_flagged, 2);
        assert!((e.benign_flagged_share - 0.002).abs() < 1e-9);
    }

    #[test]
    fn networks_and_shapes() {
        assert!(overlaps("45.155.205.0/24", "45.155.205.17"));
        assert!(overlaps("45.155.205.17", "45.155.205.0/24"));
        assert!(!overlaps("45.155.206.1", "45.155.205.0/24"));
        assert!(overlaps("185.220.101.47", "185.220.101.47"));
        assert!(!overlaps("185.220.101.47", "185.220.101.48"));
        assert!(same_shape("/v0/accounts/{id}", "/v0/accounts/{accountId}"));
        assert!(!same_shape("/v0/accounts/{id}", "/v1/accounts/{accountId}"));
    }
}
