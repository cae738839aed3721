//! The `[proxy]` and `[oauth]` sections of `linkwell.toml` (documented in
//! `examples/linkwell-proxy.toml`).
//!
//! Paths are taken as written; the binary resolves them against the config
//! file's directory before handing the config over.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Whether verdicts and validation failures are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyMode {
    /// Record everything, never block: what a new deployment starts with.
    #[default]
    Shadow,
    Enforce,
}

impl ProxyMode {
    pub fn name(self) -> &'static str {
        match self {
            ProxyMode::Shadow => "shadow",
            ProxyMode::Enforce => "enforce",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    #[serde(default)]
    pub mode: ProxyMode,
    /// Start with the kill switch on (pass-through, recording continues).
    #[serde(default)]
    pub kill_switch: bool,
    pub listeners: Vec<ListenerConfig>,
    pub upstreams: Vec<UpstreamConfig>,
    pub routes: Vec<RouteConfig>,
    #[serde(default)]
    pub admin: Option<AdminConfig>,
    /// NGINX `auth_request` target (docs/nginx.md).
    #[serde(default)]
    pub auth_request: Option<AuthRequestConfig>,
    /// The audit trail directory; every call and every admin event is
    /// recorded there. Without it calls are judged but not recorded.
    #[serde(default)]
    pub audit_dir: Option<PathBuf>,
    /// The API-key registry (`linkwell keys ...` writes it).
    #[serde(default)]
    pub api_keys: Option<PathBuf>,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub blocking: Blocking,
    /// Worker threads (each with its own event loop and listening socket);
    /// default: one per CPU.
    #[serde(default)]
    pub workers: Option<usize>,
}

impl ProxyConfig {
    pub fn workers(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, 256)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    pub listen: SocketAddr,
    /// TLS termination; plain HTTP without it (only behind another TLS
    /// terminator on a trusted network).
    #[serde(default)]
    pub tls: Option<ServerTlsConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTlsConfig {
    /// PEM certificate chain and private key of the listener.
    pub cert: PathBuf,
    pub key: PathBuf,
    /// CAs whose names are sent in the CertificateRequest, so clients pick
    /// the right certificate. Verification itself is per route.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Ask every client for a certificate (default true).
    #[serde(default = "yes")]
    pub request_client_cert: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    pub name: String,
    /// `http://host:port` or `https://host:port` (path ignored).
    pub url: String,
    /// PEM CA bundle that verifies an `https` upstream.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// Name to verify the upstream's certificate against (default: the
    /// URL's host).
    #[serde(default)]
    pub server_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    pub name: String,
    /// Host names this route serves (case-insensitive, port ignored); empty
    /// serves every host.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Longest matching prefix wins among a host's routes.
    #[serde(default = "root")]
    pub path_prefix: String,
    pub upstream: String,
    #[serde(default)]
    pub mtls: Option<MtlsConfig>,
    #[serde(default)]
    pub jwt: Option<JwtRouteConfig>,
    #[serde(default)]
    pub api_key: Option<ApiKeyRouteConfig>,
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// When a dependency (JWKS, introspection) cannot answer: let the call
    /// through (recorded as such) instead of refusing it.
    #[serde(default)]
    pub fail_open: bool,
}

fn root() -> String {
    "/".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MtlsMode {
    /// Certificates are not looked at (still recorded when presented).
    Off,
    /// Verified and recorded; calls without a valid one still pass.
    #[default]
    Optional,
    /// A verified client certificate is needed.
    Required,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtlsConfig {
    #[serde(default)]
    pub mode: MtlsMode,
    /// PEM trust anchors for this route's clients.
    pub trust: PathBuf,
    /// CRL files (PEM or DER); re-read when they change.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtRouteConfig {
    /// The `[[oauth.issuers]]` entry whose tokens this route accepts.
    pub issuer: String,
    /// Accepted audiences (default: the issuer entry's).
    #[serde(default)]
    pub audience: Option<String>,
    /// Scopes per method; `"*"` covers methods without their own entry.
    #[serde(default)]
    pub scopes: BTreeMap<String, Vec<String>>,
    /// RFC 8705: the token must be bound to the client certificate.
    #[serde(default)]
    pub require_cnf: bool,
    /// Ask the issuer's introspection endpoint (RFC 7662) whether the token
    /// is still active (answers cached for the issuer's `cache_secs`).
    #[serde(default)]
    pub introspect: bool,
    /// Refuse calls without a bearer token (default true).
    #[serde(default = "yes")]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRouteConfig {
    /// The request header carrying the key.
    #[serde(default = "api_key_header")]
    pub header: String,
    #[serde(default = "yes")]
    pub required: bool,
}

fn api_key_header() -> String {
    "x-api-key".to_string()
}

/// Who a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitKey {
    /// The client address.
    #[default]
    Ip,
    /// The authenticated identity (token subject or API key), else the address.
    Identity,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sustained requests allowed per `per_secs` seconds...
    pub requests: u32,
    #[serde(default = "one")]
    pub per_secs: u32,
    /// ...with this many more in a burst.
    #[serde(default)]
    pub burst: u32,
    #[serde(default)]
    pub key: LimitKey,
    /// Replace the configured quota by the one learned from the route's
    /// traffic once there is enough of it (`GET /admin/state` shows the
    /// recommendation for every route either way).
    #[serde(default)]
    pub adaptive: bool,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthRequestConfig {
    pub listen: SocketAddr,
    /// Addresses of the gateways whose forwarded client address and
    /// certificate are believed; anyone else is answered 403.
    pub trusted_gateways: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    /// Bearer token the admin endpoints require; without one (and without
    /// `token_file`) only loopback callers are served.
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request head (request line and headers) → 431 above.
    pub max_header_bytes: usize,
    /// Largest request body → 413 above (by Content-Length or as it streams).
    pub max_body_bytes: u64,
    /// How much of a request body the engine inspects; the rest streams on
    /// without being held.
    pub inspect_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 32 * 1024,
            max_body_bytes: 10 * 1024 * 1024,
            inspect_body_bytes: 8 * 1024,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// A client must send its request head within this time → 408.
    pub header_read_ms: u64,
    /// Idle keep-alive connections are closed after this.
    pub idle_ms: u64,
    pub upstream_connect_ms: u64,
    /// The upstream must answer (headers) within this time → 504.
    pub upstream_response_ms: u64,
    /// On shutdown, in-flight calls get this long to finish.
    pub drain_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read_ms: 10_000,
            idle_ms: 60_000,
            upstream_connect_ms: 2_000,
            upstream_response_ms: 30_000,
            drain_ms: 10_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Blocking {
    /// How long a source the engine decided to block stays blocked.
    pub block_secs: u64,
    /// Most sources blocked at once; the oldest blocks expire first.
    pub max_blocked: usize,
}

impl Default for Blocking {
    fn default() -> Self {
        Blocking {
            block_secs: 900,
            max_blocked: 100_000,
        }
    }
}

/// `[oauth]`: the token issuers routes may name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    #[serde(default)]
    pub issuers: Vec<IssuerConfig>,
    /// Revoked token ids (`jti`), one per line; re-read when it changes.
    #[serde(default)]
    pub deny_list: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact `iss` value.
    pub issuer: String,
    /// The issuer's JWKS document as a file, re-read when it changes (a
    /// key rotation is a new file)...
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// ...or fetched over HTTPS, every `refresh_secs` and when a token names
    /// an unknown `kid` (at most every 30 s). Exactly one of the two.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// PEM CA bundle that verifies `jwks_url` and the introspection endpoint.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    #[serde(default = "refresh")]
    pub refresh_secs: u32,
    /// RFC 7662 token introspection, for routes with `introspect = true`.
    #[serde(default)]
    pub introspection: Option<IntrospectionConfig>,
    /// Algorithms accepted from this issuer (RFC 8725: pinned here, never
    /// taken from the token).
    pub algorithms: Vec<String>,
    pub audiences: Vec<String>,
    #[serde(default = "leeway")]
    pub leeway_secs: u32,
    /// Required `typ` header, e.g. `at+jwt` (RFC 9068).
    #[serde(default)]
    pub typ: Option<String>,
}

fn leeway() -> u32 {
    60
}

fn refresh() -> u32 {
    300
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    pub url: String,
    pub client_id: String,
    /// File holding the client secret (HTTP Basic client authentication).
    pub client_secret_file: PathBuf,
    /// How long an answer is reused (never past the token's `exp`).
    #[serde(default = "introspection_cache")]
    pub cache_secs: u32,
}

fn introspection_cache() -> u32 {
    60
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example must stay a valid config.
    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../../../examples/linkwell-proxy.toml");
        let mut t: toml::Table = toml::from_str(text).expect("example is TOML");
        let proxy: ProxyConfig = t
            .remove("proxy")
            .expect("has [proxy]")
            .try_into()
            .expect("valid [proxy]");
        let oauth: OAuthConfig = t
            .remove("oauth")
            .expect("has [oauth]")
            .try_into()
            .expect("valid [oauth]");
        assert_eq!(proxy.routes.len(), 3);
        assert_eq!(
            proxy.routes[0].mtls.as_ref().map(|m| m.mode),
            Some(MtlsMode::Required)
        );
        assert_eq!(oauth.issuers[0].algorithms, ["PS256", "ES256"]);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let r: Result<ProxyConfig, _> =
            toml::from_str("listeners = []\nupstreams = []\nroutes = []\nmod = \"enforce\"\n");
        assert!(r.is_err());
    }
}
