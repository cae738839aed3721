//! Who a call is from and which endpoint it is, as hashes: the ids of the
//! shared counters and local baselines of the enumeration, scanning and
//! abuse detectors.

use linkwell_core::EndpointKey;
use linkwell_core::sketch::{fmix64, hash64};

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
            hash: hash64(p.as_bytes()) ^ 0x1d,
            identified: true,
        },
        _ => Caller {
            hash: ip_hash(ip_key(ctx)),
            identified: false,
        },
    }
}

/// A stable hash of an endpoint (method, host and template).
pub(crate) fn endpoint_hash(ep: &EndpointKey) -> u64 {
    fmix64(
        hash64(ep.template.as_bytes())
            ^ hash64(ep.host.as_bytes()).rotate_left(17)
            ^ hash64(ep.method.as_bytes()).rotate_left(41),
    )
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
                Err(_) => s.ids.push(hash64(n.trim().as_bytes()) ^ 0x1d),
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
