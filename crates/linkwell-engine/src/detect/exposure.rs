//! Sensitive data where it must not be.
//!
//! In the URL (path and query string): credentials (passwords, API keys,
//! tokens, JWTs) are OWASP API2:2023 Broken Authentication; card numbers,
//! IBANs, US SSNs, e-mail addresses and phone numbers are API3:2023 (Broken
//! Object Property Level Authorization, which absorbed Excessive Data
//! Exposure). URLs end up in every proxy's, CDN's and browser's logs.
//!
//! In a response body sample (when the source has bodies): a full card
//! number, an SSN, an IBAN or a password field is an API3 exposure: the API
//! returns a property it should mask or drop. Tokens in responses are what
//! token endpoints are for, and e-mail addresses and phone numbers are what
//! profile endpoints are for, so those are recorded by the inventory
//! (every endpoint's sensitive types) but not reported. Request bodies carry
//! card numbers and passwords by design (payments, logins): inventory only.
//!
//! Recognisers are core's ([`linkwell_core::sensitive`]): validating, not
//! pattern-shaped (Luhn and issuer lengths for cards, mod-97 for IBANs, the
//! SSA's rules for SSNs), so order ids, amounts, dates and UUIDs stay quiet.

use linkwell_core::sensitive::{SensitiveKind, classify_param, classify_value, scan_text};
use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::{Detector, Draft};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::SharedState;
use linkwell_core::pct::decode_form as percent_decode;

pub(crate) struct Exposure {
    body_bytes: usize,
}

impl Exposure {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Exposure {
            body_bytes: cfg.exposure_body_scan_bytes,
        }
    }
}

/// How bad a kind is in a URL: credentials grant access, card numbers and
/// SSNs enable fraud, contact details are personal data.
fn url_rank(k: SensitiveKind) -> u8 {
    match k {
        SensitiveKind::Email | SensitiveKind::Phone => 0,
        SensitiveKind::Iban => 1,
        SensitiveKind::CardNumber | SensitiveKind::Ssn => 2,
        SensitiveKind::Jwt | SensitiveKind::Password | SensitiveKind::ApiKey => 3,
    }
}

/// Which kinds in a response are an exposure, and how bad.
fn response_severity(k: SensitiveKind) -> Option<Severity> {
    match k {
        SensitiveKind::CardNumber | SensitiveKind::Ssn | SensitiveKind::Password => {
            Some(Severity::High)
        }
        SensitiveKind::Iban => Some(Severity::Medium),
        _ => None,
    }
}

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
        if let Some(f) = self.url(ctx) {
            out.push(f);
        }
        if let Some(body) = ctx.call.response_body.as_deref()
            && let Some(f) = self.response(ctx, body)
        {
            out.push(f);
        }
    }
}

impl Exposure {
    fn url(&self, ctx: &CallContext<'_, '_>) -> Option<Finding> {
        let call = ctx.call;
        let mut worst: Option<(SensitiveKind, String)> = None;
        let mut consider = |k: SensitiveKind, place: &dyn Fn() -> String| {
            if worst
                .as_ref()
                .is_none_or(|(w, _)| url_rank(k) > url_rank(*w))
            {
                worst = Some((k, place()));
            }
        };
        if let Some(q) = call.query.as_deref() {
            for pair in q.split('&').filter(|p| !p.is_empty()).take(64) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = prefix(value, self.body_bytes);
                let value = percent_decode(value);
                // A token parameter holding a JWT is named for what it holds.
                let k = match classify_param(&percent_decode(name), &value) {
                    Some(SensitiveKind::ApiKey)
                        if classify_value(&value) == Some(SensitiveKind::Jwt) =>
                    {
                        Some(SensitiveKind::Jwt)
                    }
                    k => k,
                };
                if let Some(k) = k {
                    consider(k, &|| format!("query parameter '{}'", prefix(name, 64)));
                }
            }
        }
        // Path segments: only value-shaped data (names carry no meaning here).
        if call.path.len() > 12 {
            let path = prefix(&call.path, self.body_bytes);
            scan_text(&percent_decode(path), |k| consider(k, &|| "path".into()));
        }
        let (kind, place) = worst?;
        let (fk, owasp, sev) = if kind.is_credential() {
            (FindingKind::CredentialInUrl, Owasp::Api2, Severity::Medium)
        } else if url_rank(kind) == 0 {
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
        let what = match kind {
            SensitiveKind::CardNumber => "A card number",
            SensitiveKind::Iban => "An IBAN",
            SensitiveKind::Email => "An e-mail address",
            SensitiveKind::Jwt => "A JSON Web Token",
            SensitiveKind::Password => "A password",
            SensitiveKind::ApiKey => "An API key or token",
            SensitiveKind::Ssn => "A US Social Security number",
            SensitiveKind::Phone => "A phone number",
        };
        let mut d = Draft::new(fk, owasp, sev, 0.9)
            .explain(format!("{what} was sent in the URL ({place}): {why}."));
        d.evidence.add_excerpt(kind.name());
        d.cwe = Some(if kind.is_credential() { 598 } else { 359 });
        Some(d.finish(ctx))
    }

    fn response(&self, ctx: &CallContext<'_, '_>, body: &str) -> Option<Finding> {
        let sample = prefix(body, self.body_bytes);
        let mut worst: Option<(SensitiveKind, Severity)> = None;
        let mut consider = |k: SensitiveKind| {
            if let Some(s) = response_severity(k)
                && worst.is_none_or(|(_, w)| s > w)
            {
                worst = Some((k, s));
            }
        };
        scan_fields(sample, &mut consider);
        let (kind, severity) = worst?;
        let what = match kind {
            SensitiveKind::CardNumber => "a full card number (PAN)",
            SensitiveKind::Ssn => "a US Social Security number",
            SensitiveKind::Iban => "an IBAN",
            _ => "a password or secret field",
        };
        let mut d = Draft::new(
            FindingKind::SensitiveDataExposure,
            Owasp::Api3,
            severity,
            0.8,
        )
        .explain(format!(
            "The response of {} contains {what}: the API returns a property it should mask or leave out, and every client (and every log of responses) receives it.",
            ctx.endpoint.template
        ));
        d.cwe = Some(if kind == SensitiveKind::Password {
            200
        } else {
            359
        });
        d.evidence.add_excerpt(kind.name());
        Some(d.finish(ctx))
    }
}

/// Calls `found` for each sensitive value in a body sample: values by their
/// shape, and values of fields whose name says they are secret (`"password":
/// "…"`), unless masked (`"****"`, empty, `null`). Inside a JSON string a
/// space does not end the value (`"4111 1111 1111 1111"`); when the whole
/// string is nothing, its words are tried one by one.
fn scan_fields(text: &str, found: &mut impl FnMut(SensitiveKind)) {
    const SEPARATOR: [bool; 256] = {
        let mut t = [false; 256];
        let seps = b"/?&=,; \"':{}[]\n\r\t<>";
        let mut i = 0;
        while i < seps.len() {
            t[seps[i] as usize] = true;
            i += 1;
        }
        t
    };
    let b = text.as_bytes();
    let mut start = 0;
    let mut quoted = false;
    let mut secret_name = false;
    for i in 0..=b.len() {
        if i < b.len() {
            let c = b[i];
            let escaped = i > 0 && b[i - 1] == b'\\';
            if c == b'"' && !escaped {
                quoted = !quoted;
            } else if !SEPARATOR[usize::from(c)] || (quoted && c == b' ') {
                continue;
            }
        }
        // Separators are ASCII, so these are character boundaries.
        let token = text[start..i].trim_matches(' ');
        start = i + 1;
        if token.is_empty() {
            continue;
        }
        // A name is followed by `:` (JSON) or `=` (form), past its quote.
        let is_key = b[i.min(b.len())..]
            .iter()
            .find(|&&c| c != b'"' && c != b' ')
            .is_some_and(|&c| c == b':' || c == b'=');
        if secret_name {
            secret_name = false;
            if !is_key && !masked(token) {
                found(SensitiveKind::Password);
                continue;
            }
        }
        if token.len() >= 5 {
            match classify_value(token) {
                Some(k) => found(k),
                None if token.contains(' ') => {
                    for w in token.split(' ').filter(|w| w.len() >= 5) {
                        if let Some(k) = classify_value(w) {
                            found(k);
                        }
                    }
                }
                None => {}
            }
        }
        if is_key && token.len() <= 24 {
            secret_name = classify_param(token, "x") == Some(SensitiveKind::Password);
        }
    }
}

/// Values that say a secret was withheld.
fn masked(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() < 4
        || b.iter().all(|&c| c == b[0])
        || v.eq_ignore_ascii_case("null")
        || v.eq_ignore_ascii_case("true")
        || v.eq_ignore_ascii_case("false")
        || v.eq_ignore_ascii_case("redacted")
        || v.eq_ignore_ascii_case("hidden")
}

/// The first `max` bytes of `s`, cut at a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Harness, call, key};
    use linkwell_core::Method;

    fn run(target: &str) -> Vec<Finding> {
        let c = call("203.0.113.1", Method::Get, target, 200, 0);
        let mut out = vec![];
        let mut d = Exposure::new(&EngineConfig::default());
        Harness::default().run(&mut d, &c, &key("GET", "/v1/x"), &mut out);
        out
    }

    fn respond(body: &str) -> Vec<Finding> {
        let mut c = call("203.0.113.1", Method::Get, "/v1/customers/me", 200, 0);
        c.response_body = Some(body.to_string().into());
        let mut out = vec![];
        let mut d = Exposure::new(&EngineConfig::default());
        Harness::default().run(&mut d, &c, &key("GET", "/v1/customers/me"), &mut out);
        out
    }

    #[test]
    fn credentials_and_cards_in_urls() {
        let f = run("/v1/accounts?api_key=sk_live_abc123");
        assert_eq!(f[0].kind, FindingKind::CredentialInUrl);
        assert_eq!(f[0].owasp, Owasp::Api2);
        let f = run("/v1/login?user=ann&password=hunter2");
        assert_eq!(f[0].kind, FindingKind::CredentialInUrl);
        let f = run("/v1/me?access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln");
        assert_eq!(f[0].kind, FindingKind::CredentialInUrl);
        assert!(
            f[0].explanation.starts_with("A JSON Web Token"),
            "{}",
            f[0].explanation
        );
        let f = run("/v1/cards/lookup?pan=4111111111111111");
        assert_eq!(f[0].kind, FindingKind::SensitiveDataExposure);
        assert_eq!(f[0].severity, Severity::High);
        // The credential outranks the e-mail address in the same URL.
        let f = run("/v1/x?email=ann%40example.com&token=abc");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, FindingKind::CredentialInUrl);
    }

    #[test]
    fn ssns_and_phone_numbers_in_urls() {
        let f = run("/v1/applicants?ssn=123-45-6789");
        assert_eq!((f[0].owasp, f[0].severity), (Owasp::Api3, Severity::High));
        assert!(
            f[0].explanation.contains("Social Security"),
            "{}",
            f[0].explanation
        );
        let f = run("/v1/applicants/123-45-6789/status");
        assert_eq!(f[0].severity, Severity::High);
        let f = run("/v1/users?phone=%2B447700900123");
        assert_eq!((f[0].owasp, f[0].severity), (Owasp::Api3, Severity::Low));
        let f = run("/v1/users?mobile=07700900123");
        assert_eq!(f[0].severity, Severity::Low);
    }

    #[test]
    fn ordinary_urls_are_quiet() {
        for t in [
            "/v1/accounts?limit=10&from=2026-01-01",
            "/v1/accounts/12345678/transactions",
            "/v1/accounts/40100013/transactions?from=2026-02-01&to=2026-03-02&limit=50",
            "/v1/payments/0b9e4a7c-2f59-4bb4-9d3b-6a2b8f0c1d2e",
            "/v1/orders/5105105105105100000",
            "/v1/branches?near=51.5072,-0.1276&radius=5",
            "/v1/fx/rates?base=EUR&amount=1234.56",
            "/v1/orders?id=900123456&since=1772400000",
            "/open-banking/v3.1/aisp/accounts/40100013/transactions?fromBookingDateTime=2026-02-23T00:00:00",
        ] {
            assert!(run(t).is_empty(), "{t}");
        }
    }

    #[test]
    fn responses_with_cards_ssns_ibans_and_passwords() {
        let f = respond(r#"{"name":"Ann","card":{"pan":"4111 1111 1111 1111","exp":"12/29"}}"#);
        assert_eq!((f[0].owasp, f[0].severity), (Owasp::Api3, Severity::High));
        assert!(
            f[0].explanation.contains("card number"),
            "{}",
            f[0].explanation
        );
        let f = respond(r#"[{"id":1,"ssn":"123-45-6789"}]"#);
        assert!(f[0].explanation.contains("Social Security"));
        let f = respond(r#"{"iban":"GB82 WEST 1234 5698 7654 32"}"#);
        assert_eq!(f[0].severity, Severity::Medium);
        let f = respond(r#"{"note":"card 4111111111111111 on file"}"#);
        assert_eq!(f[0].severity, Severity::High);
        let f = respond(r#"{"iban":"GB82WEST12345698765432"}"#);
        assert_eq!(f[0].severity, Severity::Medium);
        let f = respond(r#"{"user":"ann","password":"$2b$12$KIXQJ8e4Zq"}"#);
        assert!(
            f[0].explanation.contains("password"),
            "{}",
            f[0].explanation
        );
    }

    #[test]
    fn ordinary_responses_are_quiet() {
        for body in [
            r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln","expires_in":3600}"#,
            r#"{"email":"ann@example.com","mobile":"+447700900123"}"#,
            r#"{"pan":"411111******1111","last4":"1111"}"#,
            r#"{"password":"********","password_set":true,"secret":null}"#,
            r#"{"password":"","user":"ann"}"#,
            r#"{"result":"pass","id":"abc123","pin":"","otp":"xx"}"#,
            "status=pass&next=step2",
            r#"{"order":5105105105105100000,"amount":"1234.56","at":"2026-03-02T10:00:00Z"}"#,
            r#"{"id":"0b9e4a7c-2f59-4bb4-9d3b-6a2b8f0c1d2e","account":"40100013","ref":"123456789"}"#,
        ] {
            assert!(respond(body).is_empty(), "{body}");
        }
    }

    #[test]
    fn hostile_bodies_and_urls_never_panic() {
        let alphabet: Vec<char> = "0123456789+-. ()\"\\:,{}[]=&?/%@aZé€😀\u{a0}\n*"
            .chars()
            .collect();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut d = Exposure::new(&EngineConfig {
            exposure_body_scan_bytes: 301,
            ..EngineConfig::default()
        });
        let mut h = Harness::default();
        for n in 0..2000 {
            let text: String = (0..n % 400)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            let mut c = call("203.0.113.1", Method::Get, "/v1/x", 200, 0);
            c.set_target(format!("/v1/{text}?q={text}&password={text}").into());
            c.response_body = Some(text.into());
            let mut out = vec![];
            h.run(&mut d, &c, &key("GET", "/v1/x"), &mut out);
        }
    }

    #[test]
    fn long_bodies_are_scanned_only_up_to_the_limit() {
        let mut body = "x".repeat(5000);
        body.push_str(r#" "pan":"4111111111111111""#);
        assert!(respond(&body).is_empty());
        let cfg = EngineConfig {
            exposure_body_scan_bytes: 8192,
            ..EngineConfig::default()
        };
        let mut c = call("203.0.113.1", Method::Get, "/v1/x", 200, 0);
        c.response_body = Some(body.into());
        let mut out = vec![];
        Harness::default().run(&mut Exposure::new(&cfg), &c, &key("GET", "/v1/x"), &mut out);
        assert_eq!(out.len(), 1);
    }
}
