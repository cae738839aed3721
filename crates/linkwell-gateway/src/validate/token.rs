//! Bearer tokens per route, through linkwell-jwt's verifier.
//!
//! Each issuer's JWKS is a file re-read when it changes; a token whose
//! `kid` is unknown triggers one re-read through a [`RefetchGate`] so a
//! stream of made-up `kid`s cannot turn into a stream of reloads. The
//! algorithm allow-list comes from the issuer's config, never from the token
//! (RFC 8725 §3.1), so `none` and HS/RS confusion are refused by
//! construction in linkwell-jwt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use linkwell_core::Timestamp;
use linkwell_jwt::{
    Alg, AlgSet, Claims, DenyList, Introspection, IntrospectionCache, Jwks, JwtError,
    MAX_JWKS_BYTES, Policy, RefetchGate, SignedToken, VerifyContext,
};

use crate::validate::fetch::Fetcher;

use crate::config::{IssuerConfig, JwtRouteConfig, OAuthConfig};
use crate::error::GatewayError;

/// Most revoked token ids held.
const MAX_DENIED: usize = 1_000_000;
/// Least time between two JWKS re-reads caused by unknown `kid`s.
const REFETCH_SECS: u32 = 30;
/// Most tokens whose verified signature is remembered per issuer.
const MAX_CACHED: usize = 50_000;
/// Longest token remembered (longer ones are verified every time).
const MAX_CACHED_LEN: usize = 4096;
/// Most introspection answers remembered per issuer.
const MAX_INTROSPECTED: usize = 100_000;

/// Plain HTTP is allowed only to a provider on this machine (a sidecar).
fn is_loopback_http(url: &str) -> bool {
    ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| url.starts_with(p))
}

/// The outcome for one call's bearer token.
#[derive(Debug, Clone)]
pub enum TokenOutcome {
    /// The route does not require a token and none was sent.
    Absent,
    Valid(Box<Claims>),
    /// No bearer token on a route that requires one.
    Missing,
    Invalid(&'static str),
    /// The issuer's keys could not be read; the route's `fail_open` decides.
    Unavailable(&'static str),
}

impl TokenOutcome {
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            TokenOutcome::Absent | TokenOutcome::Valid(_) => None,
            TokenOutcome::Missing => Some("token-missing"),
            TokenOutcome::Invalid(r) | TokenOutcome::Unavailable(r) => Some(r),
        }
    }
}

/// Stable reason codes for the audit trail and the dashboard.
pub fn reason(e: &JwtError) -> &'static str {
    match e {
        JwtError::Malformed(_) | JwtError::TooLarge { .. } => "token-malformed",
        JwtError::AlgNone => "alg-none",
        JwtError::UnsupportedAlg(_) | JwtError::AlgNotAllowed(_) => "alg-not-allowed",
        JwtError::UnsupportedCrit => "unsupported-crit",
        JwtError::WrongType => "wrong-typ",
        JwtError::KeyNotFound(_) => "unknown-kid",
        JwtError::KeyAlgMismatch { .. } | JwtError::KeyNotForSignature(_) => "key-mismatch",
        JwtError::KeyTooWeak(_) => "key-too-weak",
        JwtError::BadSignature => "bad-signature",
        JwtError::Expired => "expired",
        JwtError::NotYetValid | JwtError::IssuedInFuture => "not-yet-valid",
        JwtError::MissingExp => "missing-exp",
        JwtError::WrongIssuer => "wrong-issuer",
        JwtError::WrongAudience => "wrong-audience",
        JwtError::MissingScope(_) => "missing-scope",
        JwtError::Revoked => "revoked",
        JwtError::MissingJti => "missing-jti",
        JwtError::CnfMissing => "cnf-missing",
        JwtError::CnfMismatch => "cnf-mismatch",
        JwtError::IntrospectionRequired | JwtError::IntrospectionFailed(_) => "introspection",
    }
}

/// Where an issuer's keys come from.
enum Source {
    File(PathBuf),
    Url(Box<UrlSource>),
}

struct UrlSource {
    url: String,
    fetcher: Fetcher,
    refresh_secs: i64,
}

struct Introspector {
    url: String,
    client_id: String,
    secret: String,
    fetcher: Fetcher,
    cache: Mutex<IntrospectionCache>,
}

/// The key set with when it was read (file mtime, or fetch time in seconds).
struct KeySet {
    stamp: Option<SystemTime>,
    fetched: i64,
    keys: Result<Jwks, String>,
}

struct Issuer {
    cfg: IssuerConfig,
    algs: AlgSet,
    source: Source,
    jwks: ArcSwap<KeySet>,
    gate: Mutex<RefetchGate>,
    /// Last fetch attempt (seconds), so a failing provider is not asked on
    /// every call.
    last_attempt: AtomicI64,
    /// Tokens whose signature verified under the current key set: the
    /// public-key operation is most of a verification's cost, and a client
    /// sends the same token until it expires. Only the signature is
    /// remembered; time, audience, scopes, binding and the deny list are
    /// checked on every call. Emptied whenever the key set changes.
    signed: Mutex<HashMap<String, Arc<SignedToken>>>,
    introspector: Option<Introspector>,
}

fn read_jwks(path: &Path) -> KeySet {
    let stamp = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let keys = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| Jwks::from_json(&b).map_err(|e| e.to_string()));
    KeySet {
        stamp,
        fetched: 0,
        keys,
    }
}

/// Least time between two fetches of a provider that fails.
const RETRY_SECS: i64 = 5;

impl Issuer {
    fn store(&self, set: KeySet) {
        self.jwks.store(Arc::new(set));
        if let Ok(mut c) = self.signed.lock() {
            c.clear();
        }
    }

    /// Re-reads a changed file (sync; the file sources' whole reload).
    fn reload_if_changed(&self) {
        if let Source::File(path) = &self.source {
            let cur = self.jwks.load();
            let stamp = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            if stamp != cur.stamp || cur.keys.is_err() {
                self.store(read_jwks(path));
            }
        }
    }

    /// The key set to verify with: a file re-read when it changed, a URL
    /// fetched when stale, missing, or (`force`) a token named an unknown
    /// key. A failed fetch keeps the keys already held.
    async fn keys(&self, now: i64, force: bool) -> Arc<KeySet> {
        match &self.source {
            Source::File(_) => {
                if force {
                    self.reload_if_changed();
                }
            }
            Source::Url(u) => {
                let UrlSource {
                    url,
                    fetcher,
                    refresh_secs,
                } = &**u;
                let cur = self.jwks.load_full();
                let stale = cur.keys.is_err() || now - cur.fetched >= *refresh_secs;
                let last = self.last_attempt.load(Ordering::Relaxed);
                if (force || stale && now - last >= RETRY_SECS)
                    && self
                        .last_attempt
                        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    let fetched = fetcher
                        .get(url, MAX_JWKS_BYTES)
                        .await
                        .and_then(|b| Jwks::from_json(&b).map_err(|e| e.to_string()));
                    match fetched {
                        Ok(keys) => self.store(KeySet {
                            stamp: None,
                            fetched: now,
                            keys: Ok(keys),
                        }),
                        Err(e) if cur.keys.is_err() => self.store(KeySet {
                            stamp: None,
                            fetched: now,
                            keys: Err(e),
                        }),
                        // Stale keys beat no keys while the provider is down.
                        Err(_) => {}
                    }
                }
            }
        }
        self.jwks.load_full()
    }
}

/// The issuers of `[oauth]` and the deny list, shared by every route.
pub(crate) struct Tokens {
    issuers: HashMap<String, Arc<Issuer>>,
    deny_file: Option<PathBuf>,
    deny: ArcSwap<(Option<SystemTime>, DenyList)>,
}

fn read_deny(path: &Path) -> (Option<SystemTime>, DenyList) {
    let stamp = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut list = DenyList::new(MAX_DENIED);
    if let Ok(text) = std::fs::read_to_string(path) {
        for line in text.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                list.insert(line);
            }
        }
    }
    (stamp, list)
}

impl Tokens {
    pub(crate) fn new(cfg: &OAuthConfig) -> Result<Tokens, GatewayError> {
        let mut issuers = HashMap::new();
        for i in &cfg.issuers {
            let bad = |detail: String| GatewayError::Issuer {
                issuer: i.issuer.clone(),
                detail,
            };
            let mut algs = AlgSet::empty();
            for name in &i.algorithms {
                let alg = Alg::parse(name).map_err(|e| bad(format!("algorithm {name}: {e}")))?;
                algs = algs.with(alg);
            }
            let fetcher = || Fetcher::new(i.ca.as_deref());
            let (source, jwks) = match (&i.jwks_file, &i.jwks_url) {
                (Some(f), None) => {
                    let set = read_jwks(f);
                    if let Err(e) = &set.keys {
                        return Err(bad(format!("{}: {e}", f.display())));
                    }
                    (Source::File(f.clone()), set)
                }
                (None, Some(url)) => {
                    if !url.starts_with("https://") && !is_loopback_http(url) {
                        return Err(bad(format!("jwks_url must be https:// (got {url})")));
                    }
                    (
                        Source::Url(Box::new(UrlSource {
                            url: url.clone(),
                            fetcher: fetcher()?,
                            refresh_secs: i64::from(i.refresh_secs.max(10)),
                        })),
                        // Fetched by the first call that needs it.
                        KeySet {
                            stamp: None,
                            fetched: 0,
                            keys: Err("not fetched yet".into()),
                        },
                    )
                }
                _ => return Err(bad("needs exactly one of jwks_file and jwks_url".into())),
            };
            let introspector = match &i.introspection {
                Some(x) => Some(Introspector {
                    url: x.url.clone(),
                    client_id: x.client_id.clone(),
                    secret: std::fs::read_to_string(&x.client_secret_file)
                        .map_err(|e| bad(format!("{}: {e}", x.client_secret_file.display())))?
                        .trim()
                        .to_string(),
                    fetcher: fetcher()?,
                    cache: Mutex::new(IntrospectionCache::new(MAX_INTROSPECTED, x.cache_secs)),
                }),
                None => None,
            };
            issuers.insert(
                i.issuer.clone(),
                Arc::new(Issuer {
                    cfg: i.clone(),
                    algs,
                    source,
                    jwks: ArcSwap::from_pointee(jwks),
                    gate: Mutex::new(RefetchGate::new(REFETCH_SECS)),
                    last_attempt: AtomicI64::new(i64::MIN / 2),
                    signed: Mutex::new(HashMap::new()),
                    introspector,
                }),
            );
        }
        let deny = cfg
            .deny_list
            .as_deref()
            .map_or_else(|| (None, DenyList::new(1)), read_deny);
        Ok(Tokens {
            issuers,
            deny_file: cfg.deny_list.clone(),
            deny: ArcSwap::from_pointee(deny),
        })
    }

    /// The policy of one route, checked when the config loads so a route
    /// that could never accept a token fails at start, not per call.
    pub(crate) fn route_policy(
        &self,
        route: &str,
        cfg: &JwtRouteConfig,
    ) -> Result<RouteTokens, GatewayError> {
        let issuer = self.issuers.get(&cfg.issuer).ok_or_else(|| {
            GatewayError::route(
                route,
                format!("no [[oauth.issuers]] entry for '{}'", cfg.issuer),
            )
        })?;
        let audiences: Vec<&str> = match &cfg.audience {
            Some(a) => vec![a.as_str()],
            None => issuer.cfg.audiences.iter().map(String::as_str).collect(),
        };
        let mut policy = Policy::new(issuer.algs, &[issuer.cfg.issuer.as_str()], &audiences)
            .and_then(|p| p.with_leeway(issuer.cfg.leeway_secs))
            .map_err(|e| GatewayError::route(route, e))?;
        for (method, scopes) in &cfg.scopes {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            policy = policy.require_scopes(method, &scopes);
        }
        if let Some(typ) = &issuer.cfg.typ {
            policy = policy.require_typ(typ);
        }
        if cfg.require_cnf {
            policy = policy.require_cnf();
        }
        if cfg.introspect && issuer.introspector.is_none() {
            return Err(GatewayError::route(
                route,
                format!(
                    "introspect = true but issuer '{}' has no [introspection]",
                    cfg.issuer
                ),
            ));
        }
        Ok(RouteTokens {
            issuer: issuer.clone(),
            policy,
            required: cfg.required,
            introspect: cfg.introspect,
        })
    }

    fn deny_list(&self) -> arc_swap::Guard<Arc<(Option<SystemTime>, DenyList)>> {
        if let Some(path) = &self.deny_file {
            let stamp = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            if stamp != self.deny.load().0 {
                self.deny.store(Arc::new(read_deny(path)));
            }
        }
        self.deny.load()
    }

    /// Re-reads changed JWKS files (the admin reload and SIGHUP call it).
    pub(crate) fn reload(&self) {
        for i in self.issuers.values() {
            i.reload_if_changed();
        }
    }
}

pub(crate) struct RouteTokens {
    issuer: Arc<Issuer>,
    policy: Policy,
    required: bool,
    introspect: bool,
}

/// The token of an `Authorization: Bearer` header, if that is what it is.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let v = authorization?.trim_start();
    let (scheme, rest) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

impl RouteTokens {
    pub(crate) async fn check(
        &self,
        tokens: &Tokens,
        authorization: Option<&str>,
        method: &str,
        x5t_s256: Option<&str>,
        now: Timestamp,
    ) -> TokenOutcome {
        let Some(token) = bearer(authorization) else {
            return if self.required {
                TokenOutcome::Missing
            } else {
                TokenOutcome::Absent
            };
        };
        let deny = tokens.deny_list();
        let cached = self
            .issuer
            .signed
            .lock()
            .ok()
            .and_then(|c| c.get(token).cloned());
        let attempt = |jwks: &Jwks| {
            let mut ctx = VerifyContext::new(jwks, &self.policy, method);
            ctx.client_cert_x5t_s256 = x5t_s256;
            ctx.deny = Some(&deny.1);
            let signed = match &cached {
                Some(s) => s.clone(),
                None => {
                    let s = Arc::new(linkwell_jwt::verify_signature(token, jwks, &self.policy)?);
                    if token.len() <= MAX_CACHED_LEN
                        && let Ok(mut c) = self.issuer.signed.lock()
                    {
                        if c.len() >= MAX_CACHED {
                            c.clear();
                        }
                        c.insert(token.to_string(), s.clone());
                    }
                    s
                }
            };
            linkwell_jwt::check_claims(&signed, now, &ctx)
        };
        let keys = self.issuer.keys(now.secs(), false).await;
        let first = match &keys.keys {
            Ok(jwks) => attempt(jwks),
            Err(_) => return TokenOutcome::Unavailable("jwks-unavailable"),
        };
        let result = match first {
            Err(JwtError::KeyNotFound(_))
                if self
                    .issuer
                    .gate
                    .lock()
                    .is_ok_and(|mut g| g.try_acquire(now)) =>
            {
                // Perhaps a key rotation: read the keys again and retry once.
                let keys = self.issuer.keys(now.secs(), true).await;
                match &keys.keys {
                    Ok(jwks) => attempt(jwks),
                    Err(_) => return TokenOutcome::Unavailable("jwks-unavailable"),
                }
            }
            other => other,
        };
        let claims = match result {
            Ok(claims) => claims,
            Err(e) => return TokenOutcome::Invalid(reason(&e)),
        };
        if self.introspect
            && let Some(x) = &self.issuer.introspector
        {
            match introspect(x, token, &claims, now).await {
                Ok(true) => {}
                Ok(false) => return TokenOutcome::Invalid("revoked"),
                Err(()) => return TokenOutcome::Unavailable("introspection-unavailable"),
            }
        }
        TokenOutcome::Valid(Box::new(claims))
    }
}

/// Whether the provider still calls the token active (RFC 7662), from the
/// cache when a fresh answer is there.
async fn introspect(
    x: &Introspector,
    token: &str,
    claims: &Claims,
    now: Timestamp,
) -> Result<bool, ()> {
    if let Some(active) = x.cache.lock().ok().and_then(|c| c.get(token, now)) {
        return Ok(active);
    }
    let answer = x
        .fetcher
        .introspect(&x.url, &x.client_id, &x.secret, token)
        .await
        .map_err(|_| ())?;
    let active = answer.get("active").and_then(serde_json::Value::as_bool) == Some(true);
    let exp = answer
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .map(Timestamp::from_secs);
    if let Ok(mut c) = x.cache.lock() {
        c.insert(
            token,
            Introspection { active, exp },
            claims.exp.map(Timestamp::from_secs),
            now,
        );
    }
    Ok(active)
}
