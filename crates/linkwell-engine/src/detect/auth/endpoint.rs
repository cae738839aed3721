//! Which calls are login attempts.
//!
//! Logs rarely say "this is a login", so an endpoint is recognised from what
//! is visible: its path words (`/login`, `/oauth2/token`, `/wp-login.php`),
//! the configured `login_paths`, the parameters a call carries (a `password`
//! or `grant_type` field in the body or, badly, in the query), HTTP Basic
//! credentials (every such call checks a password), and finally its traffic:
//! an endpoint that takes POSTs without an API credential, mostly answers
//! 2xx and sometimes 401/403 behaves like a login form whatever its name.
//!
//! The verdict for an endpoint is remembered (bounded by the number of
//! endpoints the map holds), so a known endpoint costs one lookup per call
//! and GET traffic none.

use linkwell_core::sketch::{fmix64, hash64};
use linkwell_core::{AuthScheme, CallRecord, EndpointKey};

use crate::state::GenMap;

/// What kind of credential check an endpoint performs; it decides how the
/// endpoint's answers are read (see `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginKind {
    /// A user name and password exchanged for a session or a token.
    Password,
    /// An OAuth 2.0 token endpoint: a bad grant is answered 400
    /// `invalid_grant`, a bad client 400/401 `invalid_client` (RFC 6749 §5.2).
    OAuthToken,
    /// Any endpoint called with HTTP Basic credentials: every call checks a
    /// password, and only a 401 says it was wrong.
    Basic,
}

/// How an endpoint was recognised; findings say it, so an analyst can tell
/// a configured login from a guessed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recognised {
    Config,
    PathWords,
    Parameters,
    BasicAuth,
    Learned,
}

impl Recognised {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Recognised::Config => "login endpoint: configured (login_paths)",
            Recognised::PathWords => "login endpoint: path words",
            Recognised::Parameters => "login endpoint: credential parameters in the request",
            Recognised::BasicAuth => "login attempt: HTTP Basic credentials",
            Recognised::Learned => {
                "login endpoint: learned from traffic (unauthenticated POSTs, 2xx with some 401/403)"
            }
        }
    }
}

/// One call's login: what the endpoint is and a stable id for its counters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Login {
    pub(crate) kind: LoginKind,
    pub(crate) how: Recognised,
    /// Hash of method, host and template; keys the endpoint's counters and
    /// its learned failure signature.
    pub(crate) id: u64,
}

/// The most endpoints whose recognition is remembered at once. Endpoints
/// are templates from the inventory, so this bounds a map an attacker can
/// only grow by inventing paths, and evicted entries are recomputed.
const MAX_ENDPOINTS: usize = 4096;

pub(crate) struct Recognizer {
    paths: Vec<String>,
    seen: GenMap<u64, Facts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Login(LoginKind, Recognised),
    /// Logout, token revocation, sign-up: never a login attempt.
    Never,
    Undecided,
}

struct Facts {
    known: Known,
    mix: Mix,
}

impl Recognizer {
    pub(crate) fn new(login_paths: &[String]) -> Self {
        Recognizer {
            paths: login_paths.to_vec(),
            seen: GenMap::new(MAX_ENDPOINTS),
        }
    }

    /// The login this call is, if it is one.
    pub(crate) fn recognize(&mut self, call: &CallRecord<'_>, ep: &EndpointKey) -> Option<Login> {
        let basic = call.identity.basic_user.is_some();
        if !ep.method.eq_ignore_ascii_case("POST") {
            // GET logins exist only as Basic credentials, a configured path
            // or a password in the query string; look no further otherwise.
            let kind = if !self.paths.is_empty() && self.paths.contains(&ep.template) {
                Some((kind_of_template(&ep.template), Recognised::Config))
            } else if basic {
                Some((LoginKind::Basic, Recognised::BasicAuth))
            } else {
                query_kind(call).map(|k| (k, Recognised::Parameters))
            };
            return kind.map(|(kind, how)| Login {
                kind,
                how,
                id: endpoint_id(ep),
            });
        }
        let id = endpoint_id(ep);
        let paths = &self.paths;
        let facts = self.seen.entry(id, || Facts {
            known: by_path(ep, paths),
            mix: Mix::default(),
        });
        let login = |kind, how| Some(Login { kind, how, id });
        match facts.known {
            Known::Login(kind, how) => return login(kind, how),
            Known::Never => {}
            Known::Undecided => {
                if let Some(kind) = body_kind(call).or_else(|| query_kind(call)) {
                    facts.known = Known::Login(kind, Recognised::Parameters);
                    return login(kind, Recognised::Parameters);
                }
                if facts.mix.observe(call) {
                    facts.known = Known::Login(LoginKind::Password, Recognised::Learned);
                    return login(LoginKind::Password, Recognised::Learned);
                }
            }
        }
        if basic {
            return login(LoginKind::Basic, Recognised::BasicAuth);
        }
        None
    }
}

#[cfg(test)]
impl Recognizer {
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

/// A stable id for an endpoint (no allocation, no formatting).
pub(crate) fn endpoint_id(ep: &EndpointKey) -> u64 {
    fmix64(
        hash64(ep.method.as_bytes())
            ^ hash64(ep.host.as_bytes()).rotate_left(21)
            ^ hash64(ep.template.as_bytes()).rotate_left(42),
    )
}

/// Path segments (normalised: lower case, no `-`/`_`, no extension) that
/// make a POST endpoint a login.
const LOGIN_WORDS: &[&[u8]] = &[
    b"login",
    b"signin",
    b"logon",
    b"signon",
    b"token",
    b"accesstoken",
    b"auth",
    b"authenticate",
    b"authentication",
    b"session",
    b"sessions",
    b"oauth",
    b"oauth2",
    b"wplogin",
    b"jsecuritycheck",
    b"jspringsecuritycheck",
];

/// Last segments that make an endpoint under `/auth` something other than a
/// password check: `/auth/logout` and `/token/revoke` are not login attempts,
/// and a sign-up or reset form's validation errors are not failed logins.
const NOT_LOGIN: &[&[u8]] = &[
    b"logout",
    b"signout",
    b"logoff",
    b"revoke",
    b"introspect",
    b"refresh",
    b"register",
    b"registration",
    b"signup",
    b"userinfo",
    b"jwks",
    b"keys",
    b"certs",
    b"callback",
    b"forgot",
    b"forgotpassword",
    b"reset",
    b"resetpassword",
    b"password",
    b"me",
    b"status",
    b"health",
];

const TOKEN_WORDS: &[&[u8]] = &[b"token", b"accesstoken", b"oauthtoken"];

/// The longest segment compared; longer ones are not login words.
const MAX_WORD: usize = 24;

/// Lower case, `-` and `_` dropped, extension (`.php`, `.json`) cut.
fn normalise<'b>(seg: &str, buf: &'b mut [u8; MAX_WORD]) -> Option<&'b [u8]> {
    let seg = seg.split('.').next().unwrap_or(seg);
    let mut n = 0;
    for b in seg.bytes() {
        if b == b'-' || b == b'_' {
            continue;
        }
        *buf.get_mut(n)? = b.to_ascii_lowercase();
        n += 1;
    }
    Some(&buf[..n])
}

fn last_segment(template: &str) -> &str {
    template.rsplit('/').find(|s| !s.is_empty()).unwrap_or("")
}

fn kind_of_template(template: &str) -> LoginKind {
    let mut buf = [0u8; MAX_WORD];
    match normalise(last_segment(template), &mut buf) {
        Some(w) if TOKEN_WORDS.contains(&w) => LoginKind::OAuthToken,
        _ => LoginKind::Password,
    }
}

fn by_path(ep: &EndpointKey, paths: &[String]) -> Known {
    if paths.contains(&ep.template) {
        return Known::Login(kind_of_template(&ep.template), Recognised::Config);
    }
    let mut buf = [0u8; MAX_WORD];
    if normalise(last_segment(&ep.template), &mut buf).is_some_and(|w| NOT_LOGIN.contains(&w)) {
        return Known::Never;
    }
    let worded = ep.template.split('/').any(|seg| {
        !seg.starts_with('{') && normalise(seg, &mut buf).is_some_and(|w| LOGIN_WORDS.contains(&w))
    });
    if worded {
        Known::Login(kind_of_template(&ep.template), Recognised::PathWords)
    } else {
        Known::Undecided
    }
}

/// The part of a body sample searched for parameter names: the credentials
/// of a login form sit at its start.
const BODY_PREFIX: usize = 4096;

fn prefix(s: &str, n: usize) -> &str {
    &s[..s.floor_char_boundary(n)]
}

/// A login request's body names a password or an OAuth grant; a password
/// *change* or a sign-up names a new or confirmed one as well.
fn body_kind(call: &CallRecord<'_>) -> Option<LoginKind> {
    let body = prefix(call.request_body.as_deref()?, BODY_PREFIX);
    if body.contains("grant_type") {
        return Some(LoginKind::OAuthToken);
    }
    let password = body.contains("password") || body.contains("passwd");
    let changing = ["new_password", "newPassword", "password_confirm", "confirm"]
        .iter()
        .any(|w| body.contains(w));
    (password && !changing).then_some(LoginKind::Password)
}

fn query_kind(call: &CallRecord<'_>) -> Option<LoginKind> {
    call.query.as_ref()?;
    call.query_param_names().find_map(|n| {
        if n.eq_ignore_ascii_case("password") || n.eq_ignore_ascii_case("passwd") {
            Some(LoginKind::Password)
        } else if n.eq_ignore_ascii_case("grant_type") {
            Some(LoginKind::OAuthToken)
        } else {
            None
        }
    })
}

/// The account a login names when the source did not extract it: the
/// `username`/`email` (or, at a token endpoint, `client_id`) of a form or
/// flat JSON body.
pub(crate) fn body_account<'c>(call: &'c CallRecord<'_>) -> Option<&'c str> {
    const FIELDS: &[&str] = &["username", "user", "email", "login", "client_id"];
    let body = prefix(call.request_body.as_deref()?, BODY_PREFIX);
    if body.trim_start().starts_with('{') {
        return FIELDS.iter().find_map(|f| json_string_field(body, f));
    }
    body.split('&').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (FIELDS.contains(&k) && !v.is_empty()).then_some(v)
    })
}

/// `"name": "value"` in flat JSON, without unescaping (an escaped quote ends
/// the value early, which only shortens a user name).
fn json_string_field<'b>(body: &'b str, name: &str) -> Option<&'b str> {
    let mut rest = body;
    loop {
        let at = rest.find(name)?;
        let before_ok = at > 0 && rest.as_bytes()[at - 1] == b'"';
        rest = &rest[at + name.len()..];
        let Some(after) = rest.strip_prefix('"') else {
            continue;
        };
        if !before_ok {
            continue;
        }
        let v = after.trim_start().strip_prefix(':')?.trim_start();
        let v = v.strip_prefix('"')?;
        let end = v.find('"')?;
        return (end > 0).then(|| &v[..end]);
    }
}

/// How unauthenticated callers fare at an undecided POST endpoint.
#[derive(Default)]
struct Mix {
    calls: u32,
    ok: u32,
    denied: u32,
}

/// Calls seen before an endpoint's mix is judged.
const LEARN_MIN_CALLS: u32 = 50;
/// Halve the counts past this, so the mix follows the endpoint's present.
const LEARN_AGE_AT: u32 = 8192;

impl Mix {
    /// Counts the call if the source shows its credentials and none is an
    /// API credential; true once the mix is a login's: at least 30% 2xx
    /// and 1%–60% 401/403 (a protected endpoint called without a token
    /// answers 401 nearly always; a sign-up form never does).
    fn observe(&mut self, call: &CallRecord<'_>) -> bool {
        let a = call.auth;
        if a.is_empty()
            || a.contains(AuthScheme::Bearer)
            || a.contains(AuthScheme::ApiKey)
            || a.contains(AuthScheme::Basic)
        {
            return false;
        }
        self.calls += 1;
        match call.status {
            200..=299 => self.ok += 1,
            401 | 403 => self.denied += 1,
            _ => {}
        }
        if self.calls >= LEARN_AGE_AT {
            self.calls /= 2;
            self.ok /= 2;
            self.denied /= 2;
        }
        let (n, ok, denied) = (
            u64::from(self.calls),
            u64::from(self.ok),
            u64::from(self.denied),
        );
        n >= u64::from(LEARN_MIN_CALLS)
            && denied >= 3
            && denied * 100 >= n
            && denied * 10 <= n * 6
            && ok * 10 >= n * 3
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::detect::testkit::{call, key};
    use linkwell_core::Method;

    fn kind(r: &mut Recognizer, method: Method<'static>, template: &str) -> Option<LoginKind> {
        let c = call("198.51.100.1", method.clone(), template, 200, 0);
        r.recognize(&c, &key(method.as_str(), template))
            .map(|l| l.kind)
    }

    #[test]
    fn path_words() {
        let mut r = Recognizer::new(&[]);
        for (t, k) in [
            ("/v1/auth/login", Some(LoginKind::Password)),
            ("/api/sessions", Some(LoginKind::Password)),
            ("/sign-in", Some(LoginKind::Password)),
            ("/wp-login.php", Some(LoginKind::Password)),
            ("/j_security_check", Some(LoginKind::Password)),
            ("/oauth2/token", Some(LoginKind::OAuthToken)),
            (
                "/realms/bank/protocol/openid-connect/token",
                Some(LoginKind::OAuthToken),
            ),
            ("/connect/token", Some(LoginKind::OAuthToken)),
            ("/v1/auth/logout", None),
            ("/oauth2/token/revoke", None),
            ("/v1/auth/register", None),
            ("/v1/payments", None),
            ("/v1/tokens", None),
        ] {
            assert_eq!(kind(&mut r, Method::Post, t), k, "{t}");
        }
        assert_eq!(kind(&mut r, Method::Get, "/v1/auth/login"), None);
    }

    #[test]
    fn configured_paths_and_basic_auth() {
        let mut r = Recognizer::new(&["/v2/customers/verify".to_string()]);
        assert_eq!(
            kind(&mut r, Method::Post, "/v2/customers/verify"),
            Some(LoginKind::Password)
        );
        let mut c = call("198.51.100.1", Method::Get, "/v1/legacy/statement", 401, 0);
        c.identity.basic_user = Some("d.okafor".into());
        let l = r
            .recognize(&c, &key("GET", "/v1/legacy/statement"))
            .unwrap();
        assert_eq!((l.kind, l.how), (LoginKind::Basic, Recognised::BasicAuth));
    }

    #[test]
    fn parameters_in_body_or_query() {
        let mut r = Recognizer::new(&[]);
        let mut c = call(
            "198.51.100.1",
            Method::Post,
            "/api/v3/identity/check",
            200,
            0,
        );
        c.request_body = Some(r#"{"email":"a@example.com","password":"hunter2"}"#.into());
        let k = key("POST", "/api/v3/identity/check");
        let l = r.recognize(&c, &k).unwrap();
        assert_eq!(
            (l.kind, l.how),
            (LoginKind::Password, Recognised::Parameters)
        );
        assert_eq!(body_account(&c), Some("a@example.com"));
        // Remembered for calls whose bodies the source did not keep.
        let bare = call(
            "198.51.100.1",
            Method::Post,
            "/api/v3/identity/check",
            200,
            1,
        );
        assert!(r.recognize(&bare, &k).is_some());

        let mut c = call("198.51.100.1", Method::Post, "/api/x", 400, 0);
        c.request_body = Some("grant_type=client_credentials&client_id=partner-7".into());
        let l = r.recognize(&c, &key("POST", "/api/x")).unwrap();
        assert_eq!(l.kind, LoginKind::OAuthToken);
        assert_eq!(body_account(&c), Some("partner-7"));

        // A password change is not a login.
        let mut c = call("198.51.100.1", Method::Post, "/api/y", 200, 0);
        c.request_body = Some(r#"{"password":"a","new_password":"b"}"#.into());
        assert!(r.recognize(&c, &key("POST", "/api/y")).is_none());

        let c = call(
            "198.51.100.1",
            Method::Get,
            "/cgi/check?user=a&password=b",
            200,
            0,
        );
        assert_eq!(
            r.recognize(&c, &key("GET", "/cgi/check")).map(|l| l.kind),
            Some(LoginKind::Password)
        );
    }

    #[test]
    fn learned_from_an_unauthenticated_mix() {
        let mut r = Recognizer::new(&[]);
        let k = key("POST", "/api/v3/identity/check");
        let mut learned_at = None;
        for i in 0..200 {
            let status = if i % 10 == 3 { 401 } else { 200 };
            let mut c = call(
                "198.51.100.1",
                Method::Post,
                "/api/v3/identity/check",
                status,
                i,
            );
            c.infer_auth();
            if r.recognize(&c, &k).is_some() && learned_at.is_none() {
                learned_at = Some(i);
            }
        }
        assert_eq!(learned_at, Some(49));
        // A protected endpoint called without its token answers 401 always.
        let k = key("POST", "/api/v3/orders");
        for i in 0..200 {
            let mut c = call("198.51.100.1", Method::Post, "/api/v3/orders", 401, i);
            c.infer_auth();
            assert!(r.recognize(&c, &k).is_none());
        }
        // Calls carrying a bearer token say nothing about a login form.
        let k = key("POST", "/api/v3/transfers");
        for i in 0..200 {
            let status = if i % 10 == 3 { 401 } else { 201 };
            let mut c = call("198.51.100.1", Method::Post, "/api/v3/transfers", status, i);
            c.push_header("authorization".into(), "Bearer x".into());
            c.infer_auth();
            assert!(r.recognize(&c, &k).is_none());
        }
    }
}
