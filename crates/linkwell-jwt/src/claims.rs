//! The registered claims a route checks, read from the verified payload with
//! strict types: a claim of the wrong JSON type is malformed, never ignored
//! (an `exp` given as a string must not read as "no expiry").

use serde_json::{Map, Value};

use crate::alg::Alg;
use crate::error::JwtError;

/// The claims of a token that passed every check.
#[derive(Debug, Clone)]
pub struct Claims {
    pub alg: Alg,
    pub kid: Option<String>,
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    /// Seconds since the epoch.
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub jti: Option<String>,
    pub client_id: Option<String>,
    /// From `scope` (space-separated, RFC 8693 §4.2 / RFC 9068) or `scp`.
    pub scopes: Vec<String>,
    /// `cnf.x5t#S256` (RFC 8705 §3.1), base64url of the certificate SHA-256.
    pub cnf_x5t_s256: Option<String>,
    /// Every claim, for the gateway to forward or log.
    pub raw: Map<String, Value>,
}

const MAX_SCOPES: usize = 256;

impl Claims {
    pub(crate) fn from_map(
        alg: Alg,
        kid: Option<String>,
        raw: Map<String, Value>,
    ) -> Result<Claims, JwtError> {
        let aud = match raw.get("aud") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or(JwtError::Malformed("aud not strings"))?,
            Some(_) => return Err(JwtError::Malformed("aud type")),
        };
        let mut scopes: Vec<String> = match raw.get("scope") {
            None => Vec::new(),
            Some(Value::String(s)) => s
                .split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(_) => return Err(JwtError::Malformed("scope not a string")),
        };
        match raw.get("scp") {
            None => {}
            Some(Value::Array(a)) => {
                for v in a {
                    scopes.push(
                        v.as_str()
                            .ok_or(JwtError::Malformed("scp not strings"))?
                            .to_owned(),
                    );
                }
            }
            Some(Value::String(s)) => {
                scopes.extend(s.split(' ').filter(|x| !x.is_empty()).map(str::to_owned))
            }
            Some(_) => return Err(JwtError::Malformed("scp type")),
        }
        if scopes.len() > MAX_SCOPES {
            return Err(JwtError::Malformed("too many scopes"));
        }
        let cnf_x5t_s256 = match raw.get("cnf") {
            None => None,
            Some(Value::Object(c)) => match c.get("x5t#S256") {
                None => None,
                Some(Value::String(t)) => Some(t.clone()),
                Some(_) => return Err(JwtError::Malformed("cnf.x5t#S256 type")),
            },
            Some(_) => return Err(JwtError::Malformed("cnf type")),
        };
        Ok(Claims {
            alg,
            kid,
            iss: string_claim(&raw, "iss")?,
            sub: string_claim(&raw, "sub")?,
            aud,
            exp: date_claim(&raw, "exp")?,
            nbf: date_claim(&raw, "nbf")?,
            iat: date_claim(&raw, "iat")?,
            jti: string_claim(&raw, "jti")?,
            client_id: string_claim(&raw, "client_id")?,
            scopes,
            cnf_x5t_s256,
            raw,
        })
    }
}

fn string_claim(raw: &Map<String, Value>, name: &'static str) -> Result<Option<String>, JwtError> {
    match raw.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(JwtError::Malformed(name)),
    }
}

/// NumericDate (RFC 7519 §2): seconds, possibly fractional; fractions are
/// floored. Values beyond ±10^12 s are refused so arithmetic cannot overflow.
fn date_claim(raw: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, JwtError> {
    const LIMIT: i64 = 1_000_000_000_000;
    match raw.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            let secs = match n.as_i64() {
                Some(i) => i,
                None => match n.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < LIMIT as f64 => f.floor() as i64,
                    _ => return Err(JwtError::Malformed(name)),
                },
            };
            if secs.abs() >= LIMIT {
                return Err(JwtError::Malformed(name));
            }
            Ok(Some(secs))
        }
        Some(_) => Err(JwtError::Malformed(name)),
    }
}
