//! Who a call is from and which endpoint it is, as hashes: the ids of the
//! shared counters and local baselines of the enumeration, scanning and
//! abuse detectors.

use linkwell_core::EndpointKey;
use linkwell_core::sketch::fmix64;

use crate::CallContext;
use crate::state::ip_hash;

use super::ip_key;

/// The caller a per-client counter is about: the authenticated identity
/// when the call has one (many users share a carrier's NAT address, one
/// partner calls from many addresses), else the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) hash: u64,
    pub(crate) identified: bool,
}

pub(crate) fn caller(ctx: &CallContext<'_, '_>) -> Caller {
    match ctx.call.identity.principal() {
        Some(p) if !p.is_empty() => Caller {
            hash: text_hash(p.as_bytes(), IDENTITY_SEED),
            identified: true,
        },
        _ => Caller {
            hash: ip_hash(ip_key(ctx)),
            identified: false,
        },
    }
}

const IDENTITY_SEED: u64 = 0x1d1d_1d1d_1d1d_1d1d;

/// A stable hash of an endpoint (method, host and template). Runs several
/// times per call, so it reads eight bytes at a time.
pub(crate) fn endpoint_hash(ep: &EndpointKey) -> u64 {
    // Three independent chains the CPU runs side by side.
    let t = text_hash(ep.template.as_bytes(), 0x7e);
    let h = text_hash(ep.host.as_bytes(), 0x40);
    let m = text_hash(ep.method.as_bytes(), 0x3d);
    fmix64(t ^ h.rotate_left(21) ^ m.rotate_left(43))
}

/// A stable word-at-a-time hash of `bytes` (not for adversarial
/// collision resistance: keys are mixed again before they reach state).
pub(crate) fn text_hash(bytes: &[u8], seed: u64) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    fmix64(h)
}

/// One id for a (caller, endpoint) pair.
#[inline]
pub(crate) fn pair(caller: u64, endpoint: u64) -> u64 {
    fmix64(caller ^ endpoint.rotate_left(29))
}

/// A set of clients or endpoints given by name in the configuration
/// (identities or addresses), matched by hash.
#[derive(Debug, Default)]
pub(crate) struct NameSet {
    ids: Vec<u64>,
    ips: Vec<u64>,
}

impl NameSet {
    pub(crate) fn new(names: &[String]) -> Self {
        let mut s = NameSet::default();
        for n in names {
            match n.trim().parse::<std::net::IpAddr>() {
                Ok(ip) => s.ips.push(ip_hash(ip)),
                Err(_) => s.ids.push(text_hash(n.trim().as_bytes(), IDENTITY_SEED)),
            }
        }
        s
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.ips.is_empty()
    }

    /// Whether the call's identity or address is in the set.
    pub(crate) fn contains(&self, ctx: &CallContext<'_, '_>, c: Caller) -> bool {
        if self.is_empty() {
            return false;
        }
        (c.identified && self.ids.contains(&c.hash))
            || (!self.ips.is_empty() && self.ips.contains(&ip_hash(ip_key(ctx))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_separate_what_they_should() {
        let a = EndpointKey::new("GET", "api.example.com", "/v1/accounts/{id}");
        let b = EndpointKey::new("POST", "api.example.com", "/v1/accounts/{id}");
        let c = EndpointKey::new("GET", "api.example.com", "/v1/accounts/{id}/");
        assert_eq!(endpoint_hash(&a), endpoint_hash(&a.clone()));
        assert_ne!(endpoint_hash(&a), endpoint_hash(&b));
        assert_ne!(endpoint_hash(&a), endpoint_hash(&c));
        assert_ne!(text_hash(b"abc", 0), text_hash(b"abc\0", 0));
        assert_ne!(text_hash(b"", 0), text_hash(b"", 1));
    }
}
