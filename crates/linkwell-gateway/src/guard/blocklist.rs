//! Sources the engine decided to block, for a while.
//!
//! A verdict is reached once the upstream has answered, so a block takes
//! effect for the *next* request from that source; this is the list that
//! request is checked against, before any other work is done for it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the engine decided for a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sanction {
    /// Answered 403 until the block ends.
    Block,
    /// Answered 429 for a short while (brute force, abusive volume).
    Throttle,
}

pub(crate) struct Blocklist {
    map: Mutex<HashMap<IpAddr, (Instant, Sanction)>>,
    ttl: Duration,
    max: usize,
}

impl Blocklist {
    pub(crate) fn new(ttl: Duration, max: usize) -> Blocklist {
        Blocklist {
            map: Mutex::new(HashMap::new()),
            ttl,
            max: max.max(1),
        }
    }

    pub(crate) fn block(&self, ip: IpAddr, now: Instant) {
        self.sanction(ip, now, Sanction::Block, self.ttl);
    }

    pub(crate) fn sanction(&self, ip: IpAddr, now: Instant, what: Sanction, ttl: Duration) {
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        if map.len() >= self.max && !map.contains_key(&ip) {
            map.retain(|_, (until, _)| *until > now);
            if map.len() >= self.max {
                // Still full of live blocks: drop the one ending soonest.
                if let Some(first) = map.iter().min_by_key(|(_, u)| u.0).map(|(k, _)| *k) {
                    map.remove(&first);
                }
            }
        }
        // A block is never shortened into a throttle.
        if let Some((until, Sanction::Block)) = map.get(&ip)
            && what == Sanction::Throttle
            && *until > now
        {
            return;
        }
        map.insert(ip, (now + ttl, what));
    }

    pub(crate) fn check(&self, ip: IpAddr, now: Instant) -> Option<(Sanction, Duration)> {
        let Ok(mut map) = self.map.lock() else {
            return None;
        };
        match map.get(&ip) {
            Some((until, what)) if *until > now => Some((*what, *until - now)),
            Some(_) => {
                map.remove(&ip);
                None
            }
            None => None,
        }
    }

    #[cfg(test)]
    fn is_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        self.check(ip, now).is_some()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            m.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_expire_and_the_list_stays_bounded() {
        let b = Blocklist::new(Duration::from_secs(10), 2);
        let t0 = Instant::now();
        let ip = |n: u8| IpAddr::from([192, 0, 2, n]);
        b.block(ip(1), t0);
        assert!(b.is_blocked(ip(1), t0 + Duration::from_secs(9)));
        assert!(!b.is_blocked(ip(1), t0 + Duration::from_secs(11)));
        b.block(ip(2), t0);
        b.block(ip(3), t0 + Duration::from_secs(1));
        b.block(ip(4), t0 + Duration::from_secs(2));
        assert!(b.len() <= 2);
        assert!(b.is_blocked(ip(4), t0 + Duration::from_secs(3)));
    }
}
