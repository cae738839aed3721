//! Why a token was refused. Each variant is one reason a gateway can count,
//! log and map to a `WWW-Authenticate` error (RFC 6750 §3.1); none of them
//! carries secret material, and attacker-chosen strings are truncated.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwtError {
    /// Not a compact JWS: wrong number of parts, bad base64url, bad JSON,
    /// nested too deep, a claim of the wrong type.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("token larger than {max} bytes")]
    TooLarge { max: usize },
    /// `alg` is `none` in any spelling: always refused (RFC 8725 §3.2).
    #[error("alg none is never accepted")]
    AlgNone,
    #[error("unsupported alg {0}")]
    UnsupportedAlg(String),
    /// A supported algorithm that this route's policy does not list.
    #[error("alg {0} not allowed by policy")]
    AlgNotAllowed(&'static str),
    /// `crit` names an extension we do not implement (RFC 7515 §4.1.11), e.g.
    /// `b64` (RFC 7797).
    #[error("unsupported critical header")]
    UnsupportedCrit,
    /// `typ` differs from the one the policy requires (RFC 8725 §3.11).
    #[error("wrong typ")]
    WrongType,
    /// No key with this `kid` (or no unambiguous key when `kid` is absent).
    /// The caller may refetch the JWKS, rate-limited, and retry once.
    #[error("no key for kid {0:?}")]
    KeyNotFound(Option<String>),
    /// The key exists but its `kty`/`crv`/`alg` does not match the token's
    /// `alg`: the algorithm-confusion defence (e.g. HS256 with an RSA key).
    #[error("key {kid:?} cannot be used with {alg}")]
    KeyAlgMismatch {
        kid: Option<String>,
        alg: &'static str,
    },
    /// The key is marked for encryption (`use=enc`) or its `key_ops` lacks
    /// `verify`.
    #[error("key {0:?} is not a verification key")]
    KeyNotForSignature(Option<String>),
    /// HMAC key shorter than the hash output (RFC 7518 §3.2).
    #[error("key {0:?} too short for its algorithm")]
    KeyTooWeak(Option<String>),
    #[error("bad signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token has no exp")]
    MissingExp,
    #[error("issued in the future")]
    IssuedInFuture,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("missing scope {0}")]
    MissingScope(String),
    /// The `jti` is on the deny list, or introspection said `active: false`.
    #[error("token revoked")]
    Revoked,
    /// The policy requires a `jti` (for the deny list) and the token has none.
    #[error("token has no jti")]
    MissingJti,
    /// The route requires certificate-bound tokens (RFC 8705) and the token
    /// has no `cnf.x5t#S256`.
    #[error("token is not certificate-bound")]
    CnfMissing,
    /// `cnf.x5t#S256` does not match the client certificate (or there is no
    /// client certificate).
    #[error("certificate binding does not match")]
    CnfMismatch,
    /// The policy requires introspection and no fresh result is cached: the
    /// caller must introspect (RFC 7662) and retry.
    #[error("introspection required")]
    IntrospectionRequired,
    #[error("introspection failed: {0}")]
    IntrospectionFailed(String),
}

/// A JWKS document that could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwksError {
    #[error("JWKS larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("JWKS is not valid JSON: {0}")]
    Json(String),
    #[error("JWKS nested too deep")]
    TooDeep,
    #[error("JWKS has no keys array")]
    NoKeys,
    #[error("JWKS has more than {max} keys")]
    TooManyKeys { max: usize },
}

/// A route policy that would be unsafe to run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("policy allows no algorithm")]
    NoAlgorithms,
    /// HS and asymmetric algorithms in one policy invite key confusion
    /// (RFC 8725 §3.1): a route trusts either shared secrets or public keys.
    #[error("policy mixes HMAC and public-key algorithms")]
    MixedSymmetricAsymmetric,
    #[error("leeway {0}s above the maximum of {max}s", max = crate::policy::MAX_LEEWAY_SECS)]
    LeewayTooLarge(u32),
    #[error("policy names no issuer")]
    NoIssuer,
    #[error("policy names no audience")]
    NoAudience,
}
