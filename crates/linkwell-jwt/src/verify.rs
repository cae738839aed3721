//! The per-request check: signature first, then every claim the route's
//! policy demands, then revocation. Order matters only for which reason is
//! reported; every check runs before a token is accepted.

use linkwell_core::Timestamp;
use serde_json::Value;

use crate::claims::Claims;
use crate::error::JwtError;
use crate::jwk::Jwks;
use crate::jws::{parse_object, verify_compact};
use crate::policy::Policy;
use crate::revocation::{DenyList, Introspect, IntrospectionCache};

/// Everything about the request that the verifier needs besides the token.
#[derive(Debug, Clone, Copy)]
pub struct VerifyContext<'a> {
    pub jwks: &'a Jwks,
    pub policy: &'a Policy,
    /// HTTP method of the request, for per-method scopes.
    pub method: &'a str,
    /// base64url (no padding) SHA-256 of the client certificate's DER, when
    /// the connection presented one (RFC 8705 §3.1).
    pub client_cert_x5t_s256: Option<&'a str>,
    pub deny: Option<&'a DenyList>,
    /// Consulted when the policy requires introspection; a miss is
    /// [`JwtError::IntrospectionRequired`].
    pub introspection: Option<&'a IntrospectionCache>,
}

impl<'a> VerifyContext<'a> {
    pub fn new(jwks: &'a Jwks, policy: &'a Policy, method: &'a str) -> Self {
        VerifyContext {
            jwks,
            policy,
            method,
            client_cert_x5t_s256: None,
            deny: None,
            introspection: None,
        }
    }
}

/// Verifies a bearer token for one request. Never panics on any input.
pub fn verify(token: &str, now: Timestamp, ctx: &VerifyContext<'_>) -> Result<Claims, JwtError> {
    let claims = verify_local(token, now, ctx)?;
    if ctx.policy.require_introspection {
        match ctx.introspection.and_then(|c| c.get(token, now)) {
            Some(true) => {}
            Some(false) => return Err(JwtError::Revoked),
            None => return Err(JwtError::IntrospectionRequired),
        }
    }
    Ok(claims)
}

/// [`verify`], asking `introspector` on a cache miss and caching the answer.
/// Introspection failures refuse the token (fail closed).
pub fn verify_introspected(
    token: &str,
    now: Timestamp,
    ctx: &VerifyContext<'_>,
    introspector: &dyn Introspect,
    cache: &mut IntrospectionCache,
) -> Result<Claims, JwtError> {
    let claims = verify_local(token, now, ctx)?;
    if !ctx.policy.require_introspection {
        return Ok(claims);
    }
    let active = match cache.get(token, now) {
        Some(a) => a,
        None => {
            let answer = introspector
                .introspect(token)
                .map_err(|e| JwtError::IntrospectionFailed(crate::alg::truncate(&e)))?;
            cache.insert(token, answer, claims.exp.map(Timestamp::from_secs), now);
            answer.active
        }
    };
    if active {
        Ok(claims)
    } else {
        Err(JwtError::Revoked)
    }
}

/// Everything except introspection.
fn verify_local(token: &str, now: Timestamp, ctx: &VerifyContext<'_>) -> Result<Claims, JwtError> {
    let signed = verify_signature(token, ctx.jwks, ctx.policy)?;
    check_claims(&signed, now, ctx)
}

/// A token whose signature verified under a key set and an algorithm
/// allow-list, with its claims parsed. This is the expensive half of a
/// verification (a public-key operation); a gateway may keep it, keyed by
/// the exact token, for as long as the key set is unchanged, and run
/// [`check_claims`] — which depends on the time, the route and the
/// connection — on every call.
#[derive(Debug, Clone)]
pub struct SignedToken {
    claims: Claims,
    typ: Option<String>,
}

impl SignedToken {
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

/// The signature half of [`verify`]: parses the token, picks the key,
/// checks the signature with an algorithm from `policy`'s allow-list.
pub fn verify_signature(
    token: &str,
    jwks: &Jwks,
    policy: &Policy,
) -> Result<SignedToken, JwtError> {
    let jws = verify_compact(token, jwks, policy.algs)?;
    let typ = match jws.header.get("typ") {
        Some(Value::String(t)) => Some(t.clone()),
        _ => None,
    };
    let map = parse_object(&jws.payload, "claims")?;
    let claims = Claims::from_map(jws.alg, jws.kid, map)?;
    Ok(SignedToken { claims, typ })
}

/// The claims half of [`verify`]: type, time, issuer, audience, scopes for
/// the method, certificate binding and the deny list, at `now`.
pub fn check_claims(
    signed: &SignedToken,
    now: Timestamp,
    ctx: &VerifyContext<'_>,
) -> Result<Claims, JwtError> {
    let policy = ctx.policy;
    if let Some(want) = &policy.typ {
        let got = match &signed.typ {
            Some(t) => t.as_str(),
            None => return Err(JwtError::WrongType),
        };
        // RFC 7515 §4.1.9: "application/" may be omitted; compare without case.
        let got = got
            .get(..12)
            .filter(|p| p.eq_ignore_ascii_case("application/"))
            .map_or(got, |_| &got[12..]);
        if !got.eq_ignore_ascii_case(want) {
            return Err(JwtError::WrongType);
        }
    }

    let claims = &signed.claims;
    let now_s = now.secs();
    let leeway = policy.leeway_secs;

    match claims.exp {
        Some(exp) if now_s >= exp.saturating_add(leeway) => return Err(JwtError::Expired),
        None if policy.require_exp => return Err(JwtError::MissingExp),
        _ => {}
    }
    if let Some(nbf) = claims.nbf
        && now_s.saturating_add(leeway) < nbf
    {
        return Err(JwtError::NotYetValid);
    }
    if let Some(iat) = claims.iat
        && now_s.saturating_add(leeway) < iat
    {
        return Err(JwtError::IssuedInFuture);
    }
    match &claims.iss {
        Some(iss) if policy.issuers.iter().any(|i| i == iss) => {}
        _ => return Err(JwtError::WrongIssuer),
    }
    if !claims.aud.iter().any(|a| policy.audiences.contains(a)) {
        return Err(JwtError::WrongAudience);
    }
    for need in policy.scopes_for(ctx.method) {
        if !claims.scopes.contains(need) {
            return Err(JwtError::MissingScope(need.clone()));
        }
    }
    // A bound token is checked even when the route does not require binding:
    // RFC 8705 §3 — presenting it without the certificate is the theft case.
    match (&claims.cnf_x5t_s256, ctx.client_cert_x5t_s256) {
        (Some(bound), Some(cert)) if bound == cert => {}
        (Some(_), _) => return Err(JwtError::CnfMismatch),
        (None, _) if policy.require_cnf => return Err(JwtError::CnfMissing),
        (None, _) => {}
    }
    match (&claims.jti, ctx.deny) {
        (Some(jti), Some(deny)) if deny.contains(jti) => return Err(JwtError::Revoked),
        (None, _) if policy.require_jti => return Err(JwtError::MissingJti),
        _ => {}
    }
    Ok(claims.clone())
}
