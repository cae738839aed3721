//! The endpoint-wide view: a login endpoint failing far more than it usually
//! does.
//!
//! A campaign spread over thousands of residential proxies, each address
//! trying once or twice with a different user agent, has no group to find;
//! what it cannot hide is the endpoint's failure rate. Each login endpoint
//! counts attempts and failures over `auth_spike_secs` and over the
//! previous day (its baseline); when the short window holds at least
//! `auth_spike_failures` failures at `auth_spike_factor` times the baseline
//! rate (and never below 30%; 50% while there is no baseline yet), the
//! endpoint is under a stuffing wave. It is reported once per short window,
//! naming no client: the action it calls for is protecting the endpoint
//! (challenges, tighter limits), not blocking whoever failed next.

use linkwell_core::{ClientRef, Finding, FindingKind, Owasp, Severity};

use super::{Attempt, Limits};
use crate::CallContext;
use crate::detect::Draft;
use crate::state::{Namespace, SharedState};

const ATTEMPTS: Namespace = Namespace::new("auth.endpoint.attempts");
const FAILED: Namespace = Namespace::new("auth.endpoint.failed");
const BASE_ATTEMPTS: Namespace = Namespace::new("auth.endpoint.baseline.attempts");
const BASE_FAILED: Namespace = Namespace::new("auth.endpoint.baseline.failed");
const FAILED_ADDRESSES: Namespace = Namespace::new("auth.endpoint.failed.addresses");
const REPORTED: Namespace = Namespace::new("auth.endpoint.spike");

/// The baseline: one day, so the daily rhythm is inside it.
const BASELINE_SECS: u32 = 86_400;
/// Attempts outside the short window before the baseline is trusted.
const BASELINE_MIN_ATTEMPTS: u32 = 200;
/// The failure rate a spike needs at the least, baseline or not.
const MIN_RATE: f64 = 0.3;
const MIN_RATE_WITHOUT_BASELINE: f64 = 0.5;

pub(super) fn observe(
    ctx: &CallContext<'_, '_>,
    st: &mut dyn SharedState,
    a: &Attempt<'_>,
    failed: bool,
    lim: &Limits,
    out: &mut Vec<Finding>,
) {
    let id = a.endpoint;
    let attempts = st.add(ATTEMPTS.key(id), a.now, lim.spike_secs, 1);
    let base_attempts = st.add(BASE_ATTEMPTS.key(id), a.now, BASELINE_SECS, 1);
    if !failed {
        return;
    }
    let failures = st.add(FAILED.key(id), a.now, lim.spike_secs, 1);
    let base_failures = st.add(BASE_FAILED.key(id), a.now, BASELINE_SECS, 1);
    let addresses = st.distinct(FAILED_ADDRESSES.key(id), a.now, lim.spike_secs, a.ip_hash);
    if failures < lim.spike_failures {
        return;
    }
    let rate = f64::from(failures) / f64::from(attempts.max(1));
    // The long window includes the short one; the baseline is what came before.
    let prior_attempts = base_attempts.saturating_sub(attempts);
    let prior_failures = base_failures.saturating_sub(failures);
    let baseline = (prior_attempts >= BASELINE_MIN_ATTEMPTS)
        .then(|| f64::from(prior_failures) / f64::from(prior_attempts));
    let needed = baseline.map_or(MIN_RATE_WITHOUT_BASELINE, |b| {
        (b * f64::from(lim.spike_factor)).max(MIN_RATE)
    });
    if rate < needed || st.marked(REPORTED.key(id), a.now) {
        return;
    }
    st.mark(REPORTED.key(id), a.now, lim.spike_secs);
    let rate_pct = (rate * 100.0).round() as u64;
    let base_text = baseline.map_or("no baseline yet".to_string(), |b| {
        format!("a baseline of {:.1}%", b * 100.0)
    });
    let mut d = Draft::new(
        FindingKind::CredentialStuffing,
        Owasp::Api2,
        Severity::Medium,
        0.6,
    )
    .count("failed_logins", u64::from(failures))
    .count("login_attempts", u64::from(attempts))
    .count("failure_rate_pct", rate_pct)
    .count("distinct_addresses", addresses)
    .count("window_secs", u64::from(lim.spike_secs))
    .explain(format!(
        "{failures} of {attempts} logins at this endpoint failed in the last {} minutes ({rate_pct}%, against {base_text}) from about {addresses} addresses: a credential-stuffing wave spread too thin to pin on any one client.",
        lim.spike_secs / 60
    ));
    if let Some(b) = baseline {
        d = d.count("baseline_failure_rate_pct", (b * 100.0).round() as u64);
    }
    d.cwe = Some(307);
    d.evidence.add_excerpt("grouped by: login endpoint");
    out.push(d.finish_for(ctx, ClientRef::default()));
}
