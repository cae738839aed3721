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
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use linkwell_core::Timestamp;
use linkwell_jwt::{
    Alg, AlgSet, Claims, DenyList, Jwks, JwtError, Policy, RefetchGate, SignedToken, VerifyContext,
};

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

struct Issuer {
    cfg: IssuerConfig,
    algs: AlgSet,
    jwks: ArcSwap<(Option<SystemTime>, Result<Jwks, String>)>,
    gate: Mutex<RefetchGate>,
    /// Tokens whose signature verified under the current key set: the
    /// public-key operation is most of a verification's cost, and a client
    /// sends the same token until it expires. Only the signature is
    /// remembered; time, audience, scopes, binding and the deny list are
    /// checked on every call. Emptied whenever the key set changes.
    signed: Mutex<HashMap<String, Arc<SignedToken>>>,
}

fn read_jwks(path: &Path) -> (Option<SystemTime>, Result<Jwks, String>) {
    let stamp = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let keys = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| Jwks::from_json(&b).map_err(|e| e.to_string()));
    (stamp, keys)
}

impl Issuer {
    fn reload_if_changed(&self) {
        let cur = self.jwks.load();
        let stamp = std::fs::metadata(&self.cfg.jwks_file)
            .and_then(|m| m.modified())
            .ok();
        if stamp != cur.0 || cur.1.is_err() {
            self.jwks.store(Arc::new(read_jwks(&self.cfg.jwks_file)));
            if let Ok(mut c) = self.signed.lock() {
                c.clear();
            }
        }
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
            let jwks = read_jwks(&i.jwks_file);
            if let Err(e) = &jwks.1 {
                return Err(bad(format!("{}: {e}", i.jwks_file.display())));
            }
            issuers.insert(
                i.issuer.clone(),
                Arc::new(Issuer {
                    cfg: i.clone(),
                    algs,
                    jwks: ArcSwap::from_pointee(jwks),
                    gate: Mutex::new(RefetchGate::new(REFETCH_SECS)),
                    signed: Mutex::new(HashMap::new()),
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
        Ok(RouteTokens {
            issuer: issuer.clone(),
            policy,
            required: cfg.required,
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
    pub(crate) fn check(
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
        let keys = self.issuer.jwks.load();
        let first = match &keys.1 {
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
                // A key rotation the file already has: read it and retry once.
                self.issuer.reload_if_changed();
                match &self.issuer.jwks.load().1 {
                    Ok(jwks) => attempt(jwks),
                    Err(_) => return TokenOutcome::Unavailable("jwks-unavailable"),
                }
            }
            other => other,
        };
        match result {
            Ok(claims) => TokenOutcome::Valid(Box::new(claims)),
            Err(e) => TokenOutcome::Invalid(reason(&e)),
        }
    }
}
