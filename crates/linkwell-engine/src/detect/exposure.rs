//! Sensitive data where it must not be: credentials and card numbers in the
//! URL end up in every proxy's, CDN's and browser's logs.
//!
//! Credentials in a URL are OWASP API2:2023 (Broken Authentication); card
//! numbers, IBANs and e-mail addresses in a URL are API3:2023 (Broken Object
//! Property Level Authorization, which absorbed Excessive Data Exposure).

use linkwell_core::sensitive::{SensitiveKind, classify_param, scan_text};
use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::{Detector, Draft};
use crate::CallContext;
use crate::state::SharedState;
use linkwell_core::pct::decode_form as percent_decode;

pub(crate) struct Exposure;

impl Detector for Exposure {
    fn name(&self) -> &'static str {
        "exposure"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        _state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let call = ctx.call;
        let mut worst: Option<(SensitiveKind, String)> = None;
        let mut consider = |k: SensitiveKind, place: String| {
            let rank = |k: SensitiveKind| match k {
                SensitiveKind::Email => 0,
                SensitiveKind::Iban => 1,
                SensitiveKind::CardNumber => 2,
                _ => 3,
            };
            if worst.as_ref().is_none_or(|(w, _)| rank(k) > rank(*w)) {
                worst = Some((k, place));
            }
        };
        if let Some(q) = call.query.as_deref() {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                if let Some(k) = classify_param(&percent_decode(name), &percent_decode(value)) {
                    consider(k, format!("query parameter '{name}'"));
                }
            }
        }
        // Path segments: only value-shaped data (names carry no meaning here).
        if call.path.len() > 12 {
            scan_text(&percent_decode(&call.path), |k| consider(k, "path".into()));
        }
        let Some((kind, place)) = worst else {
            return;
        };
        let (fk, owasp, sev) = if kind.is_credential() {
            (FindingKind::CredentialInUrl, Owasp::Api2, Severity::Medium)
        } else if kind == SensitiveKind::Email {
            (
                FindingKind::SensitiveDataExposure,
                Owasp::Api3,
                Severity::Low,
            )
        } else {
            (
                FindingKind::SensitiveDataExposure,
                Owasp::Api3,
                Severity::High,
            )
        };
        let why = if kind.is_credential() {
            "credentials in URLs are written to access logs, proxies and browser history, where anyone with log access can replay them"
        } else {
            "URLs are logged and cached everywhere, so this data leaks out of the systems scoped to protect it"
        };
        out.push(
            Draft::new(fk, owasp, sev, 0.9)
                .explain(format!(
                    "A {} was sent in the URL ({place}): {why}.",
                    kind.name()
                ))
                .finish(ctx),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Harness, call, key};
    use linkwell_core::Method;

    fn run(target: &str) -> Vec<Finding> {
        let c = call("203.0.113.1", Method::Get, target, 200, 0);
        let mut out = vec![];
        Harness::default().run(&mut Exposure, &c, &key("GET", "/v1/x"), &mut out);
        out
    }

    #[test]
    fn credentials_and_cards() {
        let f = run("/v1/accounts?api_key=sk_live_abc123");
        assert_eq!(f[0].kind, FindingKind::CredentialInUrl);
        assert_eq!(f[0].owasp, Owasp::Api2);
        let f = run("/v1/cards/lookup?pan=4111111111111111");
        assert_eq!(f[0].kind, FindingKind::SensitiveDataExposure);
        assert_eq!(f[0].severity, Severity::High);
        assert!(run("/v1/accounts?limit=10&from=2026-01-01").is_empty());
        assert!(run("/v1/accounts/12345678/transactions").is_empty());
    }
}
