//! Scanning and discovery probing (OWASP API9:2023 Improper Inventory
//! Management): many different paths that do not exist, paths only
//! scanners ask for, and tools that announce themselves in the User-Agent.
//!
//! The signal is *distinct* missing paths, not 404s: an app with a broken
//! link retries the same missing path all day, a scanner asks for hundreds
//! of different ones. A 404 on a route that has answered before (an old
//! payment id, a deleted account) is an object that is gone, which is the
//! enumeration detector's business, so only 404s on routes that never
//! answered count here; that also keeps a carrier NAT address quiet, whose
//! many users each miss a few of their own objects.
//!
//! Per-address counts live in [`SharedState`] (every sensor sees part of a
//! scan); which routes have answered is this detector's own learning, a
//! fixed 64 Kibit set.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::clean_cache::{CACHE_MIN_LEN, CleanCache, SCANNER_AGENT};
use super::keys::text_hash;
use super::{Detector, Draft, ip_key};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::{Namespace, SharedState};

/// Distinct missing paths per address.
const MISSING_PATHS: Namespace = Namespace::new("scan.missing-paths");
/// 404s on never-answered routes per address, per minute.
const MISSING_BURST: Namespace = Namespace::new("scan.missing-burst");
/// Well-known scanner targets per address.
const PROBES: Namespace = Namespace::new("scan.probes");
const BURST_WINDOW_SECS: u32 = 60;

/// User-Agent fragments of scanners and attack tools (lower case).
const SCANNER_AGENTS: &[&str] = &[
    "sqlmap",
    "nikto",
    "nmap",
    "masscan",
    "zgrab",
    "nuclei",
    "gobuster",
    "dirbuster",
    "wpscan",
    "acunetix",
    "nessus",
    "openvas",
    "feroxbuster",
    "ffuf",
    "wfuzz",
    "burp",
    "zap/",
    "arachni",
    "hydra",
    "jaeles",
    "whatweb",
    "dirb/",
];

/// Paths that no API client asks for but every scanner does (lower case
/// prefixes or exact segments).
const PROBE_PATHS: &[&str] = &[
    "/.env",
    "/.git/",
    "/.git",
    "/.svn",
    "/.hg",
    "/.ds_store",
    "/.aws/",
    "/wp-login.php",
    "/wp-admin",
    "/xmlrpc.php",
    "/phpinfo.php",
    "/phpmyadmin",
    "/server-status",
    "/actuator",
    "/cgi-bin/",
    "/etc/passwd",
    "/web.config",
    "/.htaccess",
    "/config.php",
    "/admin.php",
    "/boaform",
    "/hnap1",
    "/solr/admin",
    "/console/",
    "/manager/html",
    "/.well-known/security.txt.bak",
];

pub(crate) struct Scanning {
    answered: Routes,
    distinct_paths: u32,
    window_secs: u32,
    burst: u32,
    burst_distinct: u32,
    probe_paths: u32,
    clean_agents: CleanCache,
}

/// Routes (endpoint hashes) that have answered 2xx/3xx: one bit each in a
/// fixed set. A collision can only hide a missing path (a bit is set by a
/// real answer, never by the client), at about 1% with a few hundred routes.
struct Routes {
    bits: Box<[u64]>,
}

const ROUTE_BITS: usize = 1 << 16;

impl Routes {
    fn new() -> Self {
        Routes {
            bits: vec![0u64; ROUTE_BITS / 64].into_boxed_slice(),
        }
    }

    fn slot(h: u64) -> (usize, u64) {
        let i = (h as usize) & (ROUTE_BITS - 1);
        (i / 64, 1u64 << (i % 64))
    }

    fn insert(&mut self, h: u64) {
        let (w, b) = Self::slot(h);
        self.bits[w] |= b;
    }

    fn contains(&self, h: u64) -> bool {
        let (w, b) = Self::slot(h);
        self.bits[w] & b != 0
    }
}

impl Scanning {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Scanning {
            answered: Routes::new(),
            distinct_paths: cfg.scan_not_found.max(1),
            window_secs: cfg.scan_window_secs,
            burst: cfg.scan_burst.max(1),
            burst_distinct: cfg.scan_burst_distinct.max(1),
            probe_paths: cfg.scan_probe_paths.max(1),
            clean_agents: CleanCache::default(),
        }
    }
}

fn case_insensitive(patterns: &[&str]) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(patterns)
        .unwrap_or_else(|e| panic!("static pattern set must compile: {e}"))
}

pub(crate) fn scanner_agent(ua: &str) -> Option<&'static str> {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    let ac = AC.get_or_init(|| case_insensitive(SCANNER_AGENTS));
    ac.find(ua).map(|m| SCANNER_AGENTS[m.pattern().as_usize()])
}

pub(crate) fn probe_path(path: &str) -> bool {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| case_insensitive(PROBE_PATHS))
        .is_match(path)
}

impl Scanning {
    /// [`scanner_agent`] behind the clean-value cache: a client repeats its
    /// User-Agent on every call, and matching a long browser string is most
    /// of this detector's cost on benign traffic.
    fn scanner_agent(&mut self, ua: &str) -> Option<&'static str> {
        if ua.len() < CACHE_MIN_LEN {
            return scanner_agent(ua);
        }
        let k = self.clean_agents.key(ua, SCANNER_AGENT);
        if self.clean_agents.contains(k) {
            return None;
        }
        let tool = scanner_agent(ua);
        if tool.is_none() {
            self.clean_agents.insert(k);
        }
        tool
    }
}

impl Detector for Scanning {
    fn name(&self) -> &'static str {
        "scanning"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let call = ctx.call;
        if let Some(tool) = call
            .user_agent
            .as_deref()
            .and_then(|ua| self.scanner_agent(ua))
        {
            let mut d = Draft::new(FindingKind::Scanning, Owasp::Api9, Severity::Medium, 0.95)
                .explain(format!(
                    "The client identifies itself as the attack tool '{tool}' in its User-Agent: an automated scan of the API."
                ));
            d.evidence
                .add_excerpt(call.user_agent.as_deref().unwrap_or(""));
            out.push(d.finish(ctx));
            return;
        }
        let probe = probe_path(&call.path);
        let status = call.status;
        let not_found = matches!(status, 404 | 405);
        if !probe && !not_found {
            if (200..400).contains(&status) {
                self.answered.insert(ctx.endpoint_hash);
            }
            return;
        }
        let now = call.time;
        let ip = ip_key(ctx);
        let window = self.window_secs;
        let probes = if probe {
            state.add(PROBES.ip(ip), now, window, 1)
        } else {
            0
        };
        let (mut distinct, mut burst) = (0, 0);
        if not_found && (probe || !self.answered.contains(ctx.endpoint_hash)) {
            distinct = state.distinct(
                MISSING_PATHS.ip(ip),
                now,
                window,
                text_hash(call.path.as_bytes(), 0),
            );
            burst = state.add(MISSING_BURST.ip(ip), now, BURST_WINDOW_SECS, 1);
        }
        let sweep = distinct >= u64::from(self.distinct_paths);
        let fast = burst >= self.burst && distinct >= u64::from(self.burst_distinct);
        if probes < self.probe_paths && !sweep && !fast {
            return;
        }
        let why = if sweep || fast {
            format!(
                "about {distinct} different paths that do not exist requested in {} minutes ({burst} in the last minute)",
                window / 60
            )
        } else {
            format!(
                "{probes} requests for well-known scanner targets such as {} in {} minutes",
                call.path,
                window / 60
            )
        };
        let mut d = Draft::new(FindingKind::Scanning, Owasp::Api9, Severity::Medium, 0.85)
            .count("distinct_missing_paths", distinct)
            .count("missing_last_minute", u64::from(burst))
            .count("probe_paths", u64::from(probes))
            .explain(format!(
                "{why}: the client is mapping the API for forgotten or weak endpoints."
            ));
        d.evidence.add_excerpt(&call.path);
        out.push(d.finish(ctx));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::Harness;
    use crate::detect::testkit::{call, key};
    use linkwell_core::Method;

    #[test]
    fn probe_paths_are_caught_on_the_third() {
        let mut h = Harness::default();
        let mut d = Scanning::new(&EngineConfig::default());
        let k = key("GET", "/{param}");
        let mut out = vec![];
        for (i, p) in ["/.env", "/.git/config", "/wp-login.php"]
            .iter()
            .enumerate()
        {
            let c = call("198.51.100.7", Method::Get, p, 404, i as i64 * 30);
            h.run(&mut d, &c, &k, &mut out);
            assert_eq!(out.len(), usize::from(i == 2), "call {i}");
        }
        assert!(out[0].explanation.contains("scanner targets"));
    }

    #[test]
    fn a_slow_sweep_of_missing_paths_is_caught_by_distinct_count() {
        let mut h = Harness::default();
        let mut d = Scanning::new(&EngineConfig::default());
        let mut out = vec![];
        let mut first = None;
        // One path every 15 s: never a burst, 40 different paths in 10 minutes.
        for i in 0..40 {
            let p = format!(
                "/api/{}",
                ["admin", "backup", "internal", "v2", "old"][i % 5]
            );
            let c = call(
                "198.51.100.8",
                Method::Get,
                &format!("{p}/{i}"),
                404,
                i as i64 * 15,
            );
            h.run(&mut d, &c, &key("GET", &format!("{p}/{{id}}")), &mut out);
            if first.is_none() && !out.is_empty() {
                first = Some(i + 1);
            }
        }
        let first = first.unwrap_or(0);
        assert!((25..=36).contains(&first), "fired after {first} paths");
        assert_eq!(out[0].owasp, Owasp::Api9);
        assert!(out[0].evidence.get("distinct_missing_paths") >= Some(25));
    }

    #[test]
    fn a_fast_burst_is_caught_before_the_window_threshold() {
        let mut h = Harness::default();
        let mut d = Scanning::new(&EngineConfig::default());
        let mut out = vec![];
        for i in 0..20 {
            let c = call("198.51.100.9", Method::Get, &format!("/x{i}"), 404, i / 4);
            h.run(&mut d, &c, &key("GET", "/{param}"), &mut out);
        }
        assert!(!out.is_empty(), "20 different missing paths in 5 seconds");
    }

    #[test]
    fn scanner_user_agent() {
        let mut d = Scanning::new(&EngineConfig::default());
        let mut c = call("198.51.100.7", Method::Get, "/v1/accounts", 200, 0);
        c.user_agent = Some("sqlmap/1.7.2#stable (https://sqlmap.org)".into());
        let mut out = vec![];
        Harness::default().run(&mut d, &c, &key("GET", "/v1/accounts"), &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("sqlmap"));
    }

    #[test]
    fn a_broken_link_retried_all_day_is_quiet() {
        let mut h = Harness::default();
        let mut d = Scanning::new(&EngineConfig::default());
        let mut out = vec![];
        // Ten times a second for a day, always the same missing path.
        for i in 0..20_000 {
            let c = call(
                "203.0.113.40",
                Method::Get,
                "/v1/promotions/banner.png",
                404,
                i / 10,
            );
            h.run(&mut d, &c, &key("GET", "/v1/promotions/{name}"), &mut out);
        }
        assert!(out.is_empty(), "{:?}", out.first().map(|f| &f.explanation));
    }

    #[test]
    fn a_carrier_nat_address_with_many_users_is_quiet() {
        let mut h = Harness::default();
        let mut d = Scanning::new(&EngineConfig::default());
        let k_acc = key("GET", "/v1/payments/{id}");
        let k_old = key("GET", "/v1/offers/{id}");
        let mut out = vec![];
        // 400 users behind one carrier address within ten minutes: each reads
        // a few of their payments (some long gone: 404 on a route that
        // answers), and the old app version still asks for a removed route
        // with the user's own id.
        for u in 0..400i64 {
            let t = u * 3 / 2;
            let ok = call(
                "100.64.0.1",
                Method::Get,
                &format!("/v1/payments/{:032x}", u * 7),
                200,
                t,
            );
            h.run(&mut d, &ok, &k_acc, &mut out);
            for j in 0..3 {
                let gone = call(
                    "100.64.0.1",
                    Method::Get,
                    &format!("/v1/payments/{:032x}", u * 1000 + j),
                    404,
                    t,
                );
                h.run(&mut d, &gone, &k_acc, &mut out);
            }
            if u % 20 == 0 {
                let old = call("100.64.0.1", Method::Get, "/v1/offers/current", 404, t);
                h.run(&mut d, &old, &k_old, &mut out);
            }
        }
        assert!(out.is_empty(), "{:?}", out.first().map(|f| &f.explanation));
    }

    #[test]
    fn state_is_shared_not_per_sensor() {
        // Two sensors (two detectors) sharing one state see one scan.
        let mut h = Harness::default();
        let (mut a, mut b) = (
            Scanning::new(&EngineConfig::default()),
            Scanning::new(&EngineConfig::default()),
        );
        let mut out = vec![];
        for i in 0..40 {
            let c = call("198.51.100.10", Method::Get, &format!("/y{i}"), 404, i * 10);
            let d: &mut dyn Detector = if i % 2 == 0 { &mut a } else { &mut b };
            h.run(d, &c, &key("GET", "/{param}"), &mut out);
        }
        assert!(!out.is_empty());
    }
}
