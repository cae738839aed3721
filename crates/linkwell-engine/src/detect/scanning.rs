//! Scanning and discovery probing (OWASP API9:2023 Improper Inventory
//! Management): bursts of 404s, paths only scanners ask for, and tools that
//! announce themselves in the User-Agent.

use std::net::IpAddr;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::{Detector, Draft, ip_key};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::SharedState;
use crate::state::{GenMap, Window};

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
    clients: GenMap<IpAddr, State>,
    threshold: u32,
    window_secs: u32,
}

struct State {
    not_found: Window<10>,
    probes: u32,
}

impl Scanning {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Scanning {
            clients: GenMap::new(cfg.max_tracked_clients),
            threshold: cfg.scan_not_found,
            window_secs: cfg.scan_window_secs,
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

impl Detector for Scanning {
    fn name(&self) -> &'static str {
        "scanning"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        _state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let call = ctx.call;
        if let Some(tool) = call.user_agent.as_deref().and_then(scanner_agent) {
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
        let not_found = matches!(call.status, 404 | 405);
        if !probe && !not_found {
            return;
        }
        let window = self.window_secs;
        let st = self.clients.entry(ip_key(ctx), || State {
            not_found: Window::new(window),
            probes: 0,
        });
        let n = if not_found {
            st.not_found.add(call.time, 1)
        } else {
            st.not_found.count(call.time)
        };
        if probe {
            st.probes = st.probes.saturating_add(1);
        }
        if st.probes >= 3 || n >= self.threshold {
            let mut d = Draft::new(FindingKind::Scanning, Owasp::Api9, Severity::Medium, 0.85)
                .count("not_found", u64::from(n))
                .count("probe_paths", u64::from(st.probes))
                .explain(format!(
                    "{n} requests for paths that do not exist in {} minutes, {} of them well-known scanner targets: the client is mapping the API for weak spots.",
                    window / 60,
                    st.probes
                ));
            d.evidence.add_excerpt(&call.path);
            out.push(d.finish(ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::Harness;
    use crate::detect::testkit::{call, key};
    use linkwell_core::Method;

    #[test]
    fn probe_paths_and_404_bursts() {
        let mut h = Harness::default();
        let mut d = Scanning::new(&EngineConfig::default());
        let k = key("GET", "/{param}");
        let mut out = vec![];
        for (i, p) in ["/.env", "/.git/config", "/wp-login.php"]
            .iter()
            .enumerate()
        {
            let c = call("198.51.100.7", Method::Get, p, 404, i as i64);
            h.run(&mut d, &c, &k, &mut out);
        }
        assert_eq!(out.len(), 1, "third probe fires");
        let mut out = vec![];
        for i in 0..40 {
            let c = call("198.51.100.8", Method::Get, &format!("/x{i}"), 404, i);
            h.run(&mut d, &c, &k, &mut out);
        }
        assert_eq!(out.len(), 11);
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
    fn ordinary_404s_are_quiet() {
        let mut d = Scanning::new(&EngineConfig::default());
        let mut out = vec![];
        let mut h = Harness::default();
        for i in 0..100 {
            let c = call(
                &format!("203.0.113.{}", i % 50),
                Method::Get,
                "/v1/payments/x",
                404,
                i * 30,
            );
            h.run(&mut d, &c, &key("GET", "/v1/payments/{id}"), &mut out);
        }
        assert!(out.is_empty());
    }
}
