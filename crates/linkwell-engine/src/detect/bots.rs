//! Bots and automation (OWASP API6:2023 Unrestricted Access to Sensitive
//! Business Flows): programs driving flows built for people, such as
//! sign-up, checkout, login pages, ticket or limited-stock purchases.
//!
//! Three signals, each reported once per client within
//! `automation_repeat_secs`:
//!
//! 1. **A non-browser client on a browser-only flow**: an HTTP library,
//!    headless browser or empty User-Agent on an endpoint whose successful
//!    calls are (learned) at least `browser_share` browsers; on endpoints
//!    configured in `browser_paths` also app stacks and unknown clients.
//!    APIs that scripts and apps are meant to call are not browser-only, so
//!    a partner's python-requests on a B2B API or okhttp on the mobile
//!    endpoints never trip it; failed calls do not teach the share, so a
//!    stuffing run with browser User-Agents cannot make a shared login
//!    endpoint "browser-only".
//! 2. **Machine-regular timing**: the client's last 16 gaps vary by less
//!    than `regular_max_cv` at a mean gap of at most
//!    `regular_max_mean_gap_secs`, while it claims a browser or works a
//!    browser-only flow. Scripts on APIs are regular by nature and are not
//!    judged; a client repeating one identical request is polling, not
//!    working a flow, and is skipped too.
//! 3. **A browser claim the call contradicts**: a browser User-Agent without
//!    `Accept-Language` (every browser sends it), a Chromium claim without
//!    `sec-ch-ua` or with another version in it, a Firefox or Safari claim
//!    with `sec-ch-ua` (they never send it), or TLS 1.0/1.1 (no browser
//!    has offered them since 2020). Header absences count only for inputs
//!    that recorded that header on some earlier call, since most logs keep
//!    no headers at all.
//!
//! Health and monitoring paths, `automation_exempt_paths` and clients on an
//! allow list are never judged.

use linkwell_core::sketch::fmix64;
use linkwell_core::{CallRecord, Finding, FindingKind, Owasp, Severity};

use super::{Detector, Draft};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::enrich::IntelKind;
use crate::features::BehaviourConfig;
use crate::state::{Namespace, SharedState};
use crate::ua::{BrowserFamily, UaClass};

const FLAGGED: Namespace = Namespace::new("bots.flagged");

/// Path segments of health checks, readiness probes and metrics scrapes.
const HEALTH_SEGMENTS: &[&str] = &[
    "health",
    "healthz",
    "healthcheck",
    "livez",
    "readyz",
    "ready",
    "live",
    "liveness",
    "readiness",
    "ping",
    "status",
    "metrics",
    "heartbeat",
];

/// Inputs whose recorded headers are learned (files of one scan, listeners).
const MAX_INPUTS: usize = 65_536;

/// Headers whose absence is judged, as bits of what an input records.
const SAW_ACCEPT_LANGUAGE: u8 = 1;
const SAW_SEC_CH_UA: u8 = 2;

/// One signal to report: why, how bad, how sure.
struct Hit {
    reason: Reason,
    severity: Severity,
    confidence: f32,
    explanation: String,
}

#[derive(Clone, Copy)]
enum Reason {
    NonBrowserOnBrowserFlow,
    RegularTiming,
    Inconsistent,
}

pub(crate) struct Bots {
    cfg: BehaviourConfig,
    /// Per input (file, listener), by index: which judged headers it
    /// records at all. Inputs beyond [`MAX_INPUTS`] are not learned.
    recorded: Vec<u8>,
}

impl Bots {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Bots {
            cfg: cfg.behaviour.clone(),
            recorded: Vec::new(),
        }
    }
}

fn header<'c>(call: &'c CallRecord<'_>, name: &str) -> Option<&'c str> {
    call.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
        .filter(|v| !v.is_empty() && *v != "-")
}

fn is_health(template: &str) -> bool {
    template.as_bytes().split(|b| *b == b'/').any(|seg| {
        (4..=11).contains(&seg.len())
            && HEALTH_SEGMENTS
                .iter()
                .any(|h| seg.eq_ignore_ascii_case(h.as_bytes()))
    })
}

/// Whether a `sec-ch-ua` value lists `major` as a version of some brand.
fn ch_ua_has_major(v: &str, major: u16) -> bool {
    v.split("v=\"").skip(1).any(|rest| {
        let digits: &str = rest.split(['"', '.']).next().unwrap_or_default();
        digits.parse::<u16>().ok() == Some(major)
    })
}

fn legacy_tls(version: &str) -> bool {
    let v = version.trim().to_ascii_lowercase();
    matches!(
        v.as_str(),
        "tlsv1" | "tlsv1.0" | "tls1.0" | "tlsv1.1" | "tls1.1" | "sslv3" | "tls 1.0" | "tls 1.1"
    )
}

impl Bots {
    fn configured_browser_flow(&self, ctx: &CallContext<'_, '_>) -> bool {
        self.cfg.browser_paths.contains(&ctx.endpoint.template)
    }

    /// Health checks, configured exemptions and allow-listed clients.
    fn exempt(&self, ctx: &CallContext<'_, '_>) -> bool {
        let template = ctx.endpoint.template.as_str();
        is_health(template)
            || self
                .cfg
                .automation_exempt_paths
                .iter()
                .any(|p| p == template)
            || ctx.enrich.intel.any_kind(IntelKind::Allow)
    }

    fn learned_browser_flow(&self, ctx: &CallContext<'_, '_>) -> bool {
        let f = ctx.features;
        f.endpoint_ok_calls >= self.cfg.browser_min_calls
            && f.endpoint_browser_share >= self.cfg.browser_share
    }

    /// The first contradiction between a browser claim and the call, if any.
    fn inconsistency(
        &mut self,
        call: &CallRecord<'_>,
        family: BrowserFamily,
        major: u16,
    ) -> Option<String> {
        let lang = header(call, "accept-language");
        let ch = header(call, "sec-ch-ua");
        let seen = (if lang.is_some() {
            SAW_ACCEPT_LANGUAGE
        } else {
            0
        }) | (if ch.is_some() { SAW_SEC_CH_UA } else { 0 });
        let input = call.source.input as usize;
        if input >= self.recorded.len() && input < MAX_INPUTS {
            self.recorded.resize(input + 1, 0);
        }
        let before = match self.recorded.get_mut(input) {
            Some(rec) => {
                let b = *rec;
                *rec |= seen;
                b
            }
            None => 0,
        };
        if let Some(v) = call.tls.as_ref().and_then(|t| t.version.as_deref())
            && legacy_tls(v)
        {
            return Some(format!(
                "it negotiated {v}, which no current browser offers"
            ));
        }
        if lang.is_none() && before & SAW_ACCEPT_LANGUAGE != 0 {
            return Some("it sent no Accept-Language, which every browser sends".into());
        }
        match (family, ch) {
            (BrowserFamily::Chromium, None) if major >= 90 && before & SAW_SEC_CH_UA != 0 => Some(
                format!("it claims Chromium {major} but sent no sec-ch-ua client hints"),
            ),
            (BrowserFamily::Chromium, Some(v)) if major > 0 && !ch_ua_has_major(v, major) => Some(
                format!("its User-Agent says version {major} but its sec-ch-ua says otherwise"),
            ),
            (BrowserFamily::Firefox | BrowserFamily::Safari, Some(_)) => Some(
                "it claims Firefox or Safari but sent Chromium's sec-ch-ua client hints".into(),
            ),
            _ => None,
        }
    }

    fn report(
        &self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
        hit: Hit,
    ) {
        // Exemptions are checked only once a signal fired: most calls
        // raise none, and the path test is the costliest part.
        if self.exempt(ctx) {
            return;
        }
        let Hit {
            reason,
            severity,
            confidence,
            explanation,
        } = hit;
        let f = ctx.features;
        let now = ctx.call.time;
        let key = FLAGGED.key(fmix64(f.client_key ^ (reason as u64 + 1)));
        if state.marked(key, now) {
            return;
        }
        state.mark(key, now, self.cfg.automation_repeat_secs);
        let mut d = Draft::new(FindingKind::Automation, Owasp::Api6, severity, confidence)
            .count("session_calls", u64::from(f.session_calls))
            .count(
                "endpoint_browser_share_pct",
                (f.endpoint_browser_share * 100.0).round() as u64,
            )
            .explain(explanation);
        if let Some(t) = f.timing {
            d = d
                .count("timing_cv_permille", (t.cv * 1000.0).round() as u64)
                .count("mean_gap_ms", t.mean_gap_ms.round() as u64);
        }
        if let Some(ua) = ctx.call.user_agent.as_deref() {
            d.evidence.add_excerpt(&format!("user-agent: {ua}"));
        }
        out.push(d.finish(ctx));
    }
}

impl Detector for Bots {
    fn name(&self) -> &'static str {
        "automation"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let f = ctx.features;
        let template = ctx.endpoint.template.as_str();
        let configured = self.configured_browser_flow(ctx);
        let learned = !configured && self.learned_browser_flow(ctx);
        let browser_flow = configured || learned;
        // A learned flow is a statistic, so only the unmistakable programs
        // count there: an app's own stack or a custom name may be a client
        // the statistic has not seen enough of (a shared login endpoint).
        let flag_ua = if configured {
            f.ua.is_scripted()
        } else {
            matches!(f.ua, UaClass::Library | UaClass::Headless | UaClass::Empty)
        };
        if browser_flow && flag_ua {
            let how = if configured {
                "configured as browser-only".to_string()
            } else {
                format!(
                    "{:.0}% of its {} recent successful calls came from browsers",
                    f.endpoint_browser_share * 100.0,
                    f.endpoint_ok_calls
                )
            };
            self.report(
                ctx,
                state,
                out,
                Hit {
                    reason: Reason::NonBrowserOnBrowserFlow,
                    severity: Severity::Medium,
                    confidence: 0.7,
                    explanation: format!(
                        "A non-browser client ({}) is driving {template}, a flow only browsers use ({how}): a script working a business flow meant for people.",
                        f.ua.name()
                    ),
                },
            );
        }
        if let Some(t) = f.timing
            && t.cv <= self.cfg.regular_max_cv
            && t.mean_gap_ms <= self.cfg.regular_max_mean_gap_secs * 1000.0
            && !f.polling
            && (f.ua.is_browser() || browser_flow)
        {
            self.report(
                ctx,
                state,
                out,
                Hit {
                    reason: Reason::RegularTiming,
                    severity: Severity::Medium,
                    confidence: 0.75,
                    explanation: format!(
                        "The client's last {} calls came every {:.2} s with a variation of {:.1}% (a person's varies by 50% or more): a program on a timer, claiming to be {}.",
                        crate::features::TIMING_GAPS + 1,
                        t.mean_gap_ms / 1000.0,
                        t.cv * 100.0,
                        if f.ua.is_browser() { "a browser" } else { f.ua.name() }
                    ),
                },
            );
        }
        if let UaClass::Browser { family, major } = f.ua
            && let Some(why) = self.inconsistency(ctx.call, family, major)
        {
            self.report(
                ctx,
                state,
                out,
                Hit {
                    reason: Reason::Inconsistent,
                    severity: Severity::Low,
                    confidence: 0.6,
                    explanation: format!(
                        "The client claims a browser but {why}: an HTTP library wearing a browser's User-Agent."
                    ),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Harness, call, key};
    use crate::enrich::{Enricher, IntelKind};
    use linkwell_core::{EndpointKey, Method, Tls};

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

    fn with_ua(
        ip: &str,
        ua: &str,
        method: Method<'static>,
        path: &str,
        ms: i64,
    ) -> CallRecord<'static> {
        let mut c = call(ip, method, path, 200, 0);
        c.time = linkwell_core::Timestamp::from_millis(1_772_400_000_000 + ms);
        c.user_agent = Some(ua.to_string().into());
        c
    }

    /// A checkout flow with human browser traffic from many clients.
    fn warm_browser_flow(h: &mut Harness, d: &mut Bots, k: &EndpointKey, out: &mut Vec<Finding>) {
        for i in 0..150i64 {
            let ua = if i % 2 == 0 { CHROME } else { FIREFOX };
            let c = with_ua(
                &format!("81.2.{}.{}", i / 100, i % 100),
                ua,
                Method::Post,
                "/web/checkout",
                i * 1700,
            );
            h.run(d, &c, k, out);
        }
    }

    #[test]
    fn script_on_checkout_is_flagged() {
        let mut h = Harness::default();
        let mut d = Bots::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("POST", "/web/checkout");
        warm_browser_flow(&mut h, &mut d, &k, &mut out);
        assert!(out.is_empty(), "{out:?}");
        for i in 0..5 {
            let c = with_ua(
                "203.0.113.50",
                "python-requests/2.31.0",
                Method::Post,
                "/web/checkout",
                300_000 + i * 1000,
            );
            h.run(&mut d, &c, &k, &mut out);
        }
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].kind, FindingKind::Automation);
        assert_eq!(out[0].owasp, Owasp::Api6);
        assert!(
            out[0].explanation.contains("http-library"),
            "{}",
            out[0].explanation
        );
        assert!(
            out[0]
                .evidence
                .excerpts
                .iter()
                .any(|e| e.contains("python-requests"))
        );
    }

    #[test]
    fn configured_browser_path_and_empty_ua() {
        let cfg = EngineConfig {
            behaviour: BehaviourConfig {
                browser_paths: vec!["/web/signup".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let mut h = Harness::default();
        let mut d = Bots::new(&cfg);
        let mut out = vec![];
        let k = key("POST", "/web/signup");
        let mut c = with_ua("203.0.113.51", "-", Method::Post, "/web/signup", 0);
        c.user_agent = None;
        h.run(&mut d, &c, &k, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("configured as browser-only"));
    }

    #[test]
    fn partner_script_on_b2b_api_and_mobile_apps_pass() {
        let mut h = Harness::default();
        let mut d = Bots::new(&EngineConfig::default());
        let mut out = vec![];
        // A partner polls a B2B API every 5 s with python-requests, on a timer.
        let b2b = key("GET", "/v1/partners/{id}/settlements");
        for i in 0..300 {
            let c = with_ua(
                "198.51.100.10",
                "python-requests/2.31.0",
                Method::Get,
                &format!("/v1/partners/7/settlements?page={i}"),
                i * 5000,
            );
            h.run(&mut d, &c, &b2b, &mut out);
        }
        // The mobile app: okhttp and iOS app stacks on the app endpoints.
        let app = key("GET", "/v1/accounts/{id}");
        for i in 0..300 {
            let ua = if i % 2 == 0 {
                "okhttp/4.12.0"
            } else {
                "ExampleBank/7.12.0 (iPhone; iOS 17.4; Scale/3.00)"
            };
            let c = with_ua(
                &format!("81.3.{}.{}", i / 100, i % 100),
                ua,
                Method::Get,
                "/v1/accounts/1",
                i * 900,
            );
            h.run(&mut d, &c, &app, &mut out);
        }
        // A monitor probes /health every 10 s.
        let health = key("GET", "/health");
        for i in 0..300 {
            let c = with_ua(
                "10.0.0.5",
                "kube-probe/1.29",
                Method::Get,
                "/health",
                i * 10_000,
            );
            h.run(&mut d, &c, &health, &mut out);
        }
        // Even a curl probe on a health path.
        for i in 0..300 {
            let c = with_ua(
                "10.0.0.6",
                "curl/8.5.0",
                Method::Get,
                "/api/status",
                i * 10_000,
            );
            h.run(&mut d, &c, &key("GET", "/api/status"), &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn browser_ua_on_a_timer_is_flagged_but_polling_tab_is_not() {
        let mut h = Harness::default();
        let mut d = Bots::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/products/{id}");
        // Scraping products every 1.5 s with a Chrome User-Agent.
        for i in 0..40 {
            let c = with_ua(
                "203.0.113.60",
                CHROME,
                Method::Get,
                &format!("/v1/products/{i}"),
                i * 1500,
            );
            h.run(&mut d, &c, &k, &mut out);
        }
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            out[0]
                .evidence
                .get("timing_cv_permille")
                .is_some_and(|v| v < 10)
        );
        // A dashboard tab polling the same URL every 5 s.
        let n = key("GET", "/v1/notifications");
        for i in 0..40 {
            let c = with_ua(
                "81.2.69.160",
                FIREFOX,
                Method::Get,
                "/v1/notifications?unread=1",
                i * 5000,
            );
            h.run(&mut d, &c, &n, &mut out);
        }
        // A person browsing products at human pace.
        let mut at = 0;
        for (i, g) in [
            800i64, 4000, 1500, 12_000, 600, 3000, 9000, 2000, 700, 25_000, 1100, 5000, 400, 7000,
            1600, 3300, 2100, 900,
        ]
        .iter()
        .enumerate()
        {
            let c = with_ua(
                "81.2.69.161",
                CHROME,
                Method::Get,
                &format!("/v1/products/{i}"),
                at,
            );
            h.run(&mut d, &c, &k, &mut out);
            at += g;
        }
        assert_eq!(out.len(), 1, "{out:?}");
    }

    #[test]
    fn browser_claims_contradicted_by_headers_and_tls() {
        let mut h = Harness::default();
        let mut d = Bots::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/accounts/{id}");
        // A real Chrome: the input records these headers.
        let mut real = with_ua("81.2.69.10", CHROME, Method::Get, "/v1/accounts/1", 0);
        real.headers = vec![
            ("accept-language".into(), "de-DE,de;q=0.9".into()),
            (
                "sec-ch-ua".into(),
                "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\""
                    .into(),
            ),
        ];
        h.run(&mut d, &real, &k, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // Real Firefox: no client hints, that is fine.
        let mut ff = with_ua("81.2.69.11", FIREFOX, Method::Get, "/v1/accounts/1", 10);
        ff.headers = vec![("accept-language".into(), "en-GB".into())];
        h.run(&mut d, &ff, &k, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // A script with Chrome's string and no headers.
        let fake = with_ua("203.0.113.70", CHROME, Method::Get, "/v1/accounts/1", 20);
        h.run(&mut d, &fake, &k, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].explanation.contains("Accept-Language"));
        // Chrome 124 claim with hints of Chrome 99.
        let mut stale = with_ua("203.0.113.71", CHROME, Method::Get, "/v1/accounts/1", 30);
        stale.headers = vec![
            ("accept-language".into(), "en".into()),
            ("sec-ch-ua".into(), "\"Google Chrome\";v=\"99\"".into()),
        ];
        h.run(&mut d, &stale, &k, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        // TLS 1.0 under a browser name.
        let mut old = with_ua("203.0.113.72", FIREFOX, Method::Get, "/v1/accounts/1", 40);
        old.headers = vec![("accept-language".into(), "en".into())];
        old.tls = Some(Tls {
            version: Some("TLSv1".into()),
            ..Default::default()
        });
        h.run(&mut d, &old, &k, &mut out);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out[2].explanation.contains("TLSv1"));
    }

    #[test]
    fn headerless_logs_do_not_make_browsers_suspect() {
        let mut h = Harness::default();
        let mut d = Bots::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/accounts/{id}");
        for i in 0..50 {
            let c = with_ua(
                &format!("81.2.69.{i}"),
                CHROME,
                Method::Get,
                "/v1/accounts/1",
                i * 3000,
            );
            h.run(&mut d, &c, &k, &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn allow_listed_clients_pass() {
        let mut b = Enricher::builder();
        let _ = b.intel_list("own-monitoring", IntelKind::Allow, None, "192.0.2.0/24\n");
        let mut h = Harness {
            enricher: Some(b.build()),
            ..Default::default()
        };
        let cfg = EngineConfig {
            behaviour: BehaviourConfig {
                browser_paths: vec!["/web/login".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let mut d = Bots::new(&cfg);
        let mut out = vec![];
        let k = key("POST", "/web/login");
        for i in 0..40 {
            let c = with_ua(
                "192.0.2.9",
                "HeadlessChrome/124.0",
                Method::Post,
                "/web/login",
                i * 60_000,
            );
            h.run(&mut d, &c, &k, &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
    }
}
