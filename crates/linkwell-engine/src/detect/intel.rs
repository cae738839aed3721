//! Threat intelligence: a call from an address on one of the configured
//! lists (deny, Tor, proxy, scanner, cloud). The enricher did the lookup;
//! this detector turns each hit into a finding that names the list, once per
//! client and list within `intel_repeat_secs`, so a Tor user browsing for an
//! hour is one finding per hour, not one per call.
//!
//! Allow lists raise nothing: they exist to quiet the other checks.

use linkwell_core::sketch::fmix64;
use linkwell_core::{Finding, FindingKind};

use super::{Detector, Draft};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::enrich::IntelKind;
use crate::state::{Namespace, SharedState, ip_hash};

const SEEN: Namespace = Namespace::new("intel.seen");

pub(crate) struct ThreatIntel {
    repeat_secs: u32,
}

impl ThreatIntel {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        ThreatIntel {
            repeat_secs: cfg.enrich.intel_repeat_secs,
        }
    }
}

impl ThreatIntel {
    /// The gateway flagged the client as Tor (Cloudflare `T1`): the same
    /// finding as a Tor list hit, with the gateway named as the source.
    fn gateway_tor(
        &self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
        ip: std::net::IpAddr,
    ) {
        const SOURCE: &str = "gateway:T1";
        let now = ctx.call.time;
        let key = SEEN.key(fmix64(
            ip_hash(ip) ^ linkwell_core::sketch::hash64(SOURCE.as_bytes()),
        ));
        if state.marked(key, now) {
            return;
        }
        state.mark(key, now, self.repeat_secs);
        let kind = IntelKind::Tor;
        let mut d = Draft::new(FindingKind::ThreatIntel, kind.owasp(), kind.default_severity(), 0.9)
            .explain(format!(
                "The client {ip} is a Tor exit node according to the gateway (country code T1): the caller hides where it is."
            ));
        d.evidence.add_excerpt(&format!("list:{SOURCE}"));
        out.push(d.finish(ctx));
    }
}

impl Detector for ThreatIntel {
    fn name(&self) -> &'static str {
        "threat-intel"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let hits = &ctx.enrich.intel;
        if hits.is_empty() && !ctx.enrich.gateway_tor {
            return;
        }
        let Some(ip) = ctx.call.client_ip else {
            return;
        };
        let now = ctx.call.time;
        if ctx.enrich.gateway_tor && !hits.any_kind(IntelKind::Tor) {
            self.gateway_tor(ctx, state, out, ip);
        }
        for (i, list) in hits.lists() {
            if list.kind == IntelKind::Allow {
                continue;
            }
            // Keyed by the list's name, not its index, so a reload that
            // reorders lists does not report everyone again.
            let name_hash = linkwell_core::sketch::hash64(list.name.as_bytes());
            let key = SEEN.key(fmix64(ip_hash(ip) ^ name_hash));
            if state.marked(key, now) {
                continue;
            }
            state.mark(key, now, self.repeat_secs);
            let what = match list.kind {
                IntelKind::Deny => {
                    "an address the organisation denies: the deny list is not enforced in front of this API"
                }
                IntelKind::Tor => "a Tor exit node: the caller hides where it is",
                IntelKind::Proxy => "an anonymising proxy or VPN exit",
                IntelKind::Scanner => "a known internet-wide scanner mapping exposed APIs",
                IntelKind::Cloud => {
                    "a cloud or hosting range: a program, not a person's device, is calling"
                }
                IntelKind::Allow => "",
            };
            let mut draft = Draft::new(
                FindingKind::ThreatIntel,
                list.kind.owasp(),
                list.severity,
                0.9,
            )
            .count("list_entries", list.entries as u64)
            .count("list_index", i as u64)
            .explain(format!(
                "The client {ip} is on the '{}' list ({} list): {what}.",
                list.name,
                list.kind.name()
            ));
            draft.evidence.add_excerpt(&format!("list:{}", list.name));
            out.push(draft.finish(ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Harness, call, key};
    use crate::enrich::Enricher;
    use linkwell_core::{Method, Owasp, Severity};

    fn harness() -> Harness {
        let mut b = Enricher::builder();
        let _ = b.intel_list("tor-exits", IntelKind::Tor, None, "185.220.101.0/24\n");
        let _ = b.intel_list(
            "blocked",
            IntelKind::Deny,
            None,
            "185.220.101.7\n2001:db8::/32\n",
        );
        let _ = b.intel_list("partners", IntelKind::Allow, None, "198.51.100.0/24\n");
        Harness {
            enricher: Some(b.build()),
            ..Default::default()
        }
    }

    #[test]
    fn each_list_hit_once_per_window() {
        let mut h = harness();
        let mut d = ThreatIntel::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/accounts/{id}");
        for i in 0..50 {
            let c = call("185.220.101.7", Method::Get, "/v1/accounts/1", 200, i);
            h.run(&mut d, &c, &k, &mut out);
        }
        let mut names: Vec<_> = out
            .iter()
            .flat_map(|f| f.evidence.excerpts.clone())
            .collect();
        names.sort();
        assert_eq!(names, vec!["list:blocked", "list:tor-exits"]);
        let deny = out.iter().find(|f| f.owasp == Owasp::Api8);
        assert!(
            deny.is_some_and(
                |f| f.severity == Severity::High && f.explanation.contains("'blocked'")
            )
        );
        assert!(
            out.iter()
                .any(|f| f.owasp == Owasp::Api6 && f.severity == Severity::Medium)
        );
        // An hour later the same client is reported again.
        let c = call("185.220.101.7", Method::Get, "/v1/accounts/1", 200, 3700);
        h.run(&mut d, &c, &k, &mut out);
        assert_eq!(out.len(), 4);
        // IPv6 too.
        let c = call("2001:db8::1", Method::Get, "/v1/accounts/1", 200, 3700);
        h.run(&mut d, &c, &k, &mut out);
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn gateway_tor_flag_without_lists() {
        let mut h = Harness {
            enricher: Some(Enricher::default()),
            ..Default::default()
        };
        let mut d = ThreatIntel::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/accounts/{id}");
        for i in 0..3 {
            let mut c = call("198.51.100.77", Method::Get, "/v1/accounts/1", 200, i);
            c.country = Some("T1".into());
            h.run(&mut d, &c, &k, &mut out);
        }
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("gateway"));
        assert_eq!(out[0].owasp, Owasp::Api6);
    }

    #[test]
    fn clean_and_allowed_addresses_pass() {
        let mut h = harness();
        let mut d = ThreatIntel::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/accounts/{id}");
        for ip in ["185.220.102.7", "198.51.100.20", "2001:db9::1"] {
            let c = call(ip, Method::Get, "/v1/accounts/1", 200, 0);
            h.run(&mut d, &c, &k, &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
    }
}
