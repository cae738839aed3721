//! Scoring findings against the simulator's ground truth, so the quick start
//! and the tests can say which labelled attacks were found.

use std::net::IpAddr;

use linkwell_core::{Finding, FindingKind};

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
