//! Routes and upstreams: the part of the config that a reload swaps whole.

use std::sync::Arc;
use std::time::Duration;

use http::Uri;
use http::uri::{Authority, Scheme};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::config::{
    ApiKeyRouteConfig, LimitKey, OAuthConfig, ProxyConfig, RouteConfig, UpstreamConfig,
};
use crate::error::GatewayError;
use crate::guard::Quota;
use crate::proxy::body::InspectBody;
use crate::validate::apikey::Keys;
use crate::validate::mtls::MtlsPolicy;
use crate::validate::token::{RouteTokens, Tokens};

pub(crate) type UpstreamClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, InspectBody>;

pub(crate) struct Upstream {
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
    /// One connection pool per worker thread.
    clients: Vec<UpstreamClient>,
}

impl Upstream {
    /// The calling worker's pool.
    pub(crate) fn client(&self) -> &UpstreamClient {
        &self.clients[crate::server::worker_index() % self.clients.len()]
    }

    fn new(
        cfg: &UpstreamConfig,
        connect_timeout: Duration,
        workers: usize,
    ) -> Result<Upstream, GatewayError> {
        let bad = |detail: String| GatewayError::Upstream {
            upstream: cfg.name.clone(),
            detail,
        };
        let uri: Uri = cfg
            .url
            .parse()
            .map_err(|e| bad(format!("url '{}': {e}", cfg.url)))?;
        let scheme = uri.scheme().cloned().unwrap_or(Scheme::HTTP);
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| bad(format!("url '{}' has no host", cfg.url)))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let tls = if scheme == Scheme::HTTPS {
            let ca = cfg
                .ca
                .as_deref()
                .ok_or_else(|| bad("an https upstream needs `ca` (its CA bundle)".into()))?;
            crate::tls::upstream_client_config(ca)?
        } else {
            // Never used for http:// upstreams, but the connector type wants one.
            Arc::new(
                rustls::ClientConfig::builder_with_provider(crate::tls::provider())
                    .with_safe_default_protocol_versions()
                    .map_err(GatewayError::Tls)?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            )
        };
        let mut builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http();
        if let Some(name) = &cfg.server_name {
            let name = rustls::pki_types::ServerName::try_from(name.clone())
                .map_err(|e| bad(format!("server_name: {e}")))?;
            builder =
                builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
        }
        let connector = builder.enable_http1().wrap_connector(http);
        let clients = (0..workers.max(1))
            .map(|_| {
                Client::builder(TokioExecutor::new())
                    .pool_idle_timeout(Duration::from_secs(90))
                    .pool_max_idle_per_host(256)
                    .build(connector.clone())
            })
            .collect();
        Ok(Upstream {
            scheme,
            authority,
            clients,
        })
    }
}

pub(crate) struct Route {
    pub(crate) name: String,
    hosts: Vec<String>,
    prefix: String,
    pub(crate) upstream: Arc<Upstream>,
    pub(crate) mtls: Option<MtlsPolicy>,
    pub(crate) jwt: Option<RouteTokens>,
    pub(crate) api_key: Option<ApiKeyRouteConfig>,
    pub(crate) rate: Option<(Quota, LimitKey)>,
    /// Use the learned limit instead of `rate`'s quota when there is one.
    pub(crate) adaptive: bool,
    /// The route's key in the rate baseline.
    pub(crate) baseline_key: u64,
    pub(crate) fail_open: bool,
}

impl Route {
    fn serves_host(&self, host: Option<&str>) -> bool {
        if self.hosts.is_empty() {
            return true;
        }
        let Some(host) = host else {
            return false;
        };
        let host = strip_port(host);
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    fn serves_path(&self, path: &str) -> bool {
        match path.strip_prefix(self.prefix.as_str()) {
            Some(rest) => self.prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }
}

/// `host:port` → `host`, `[v6]:port` → `[v6]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Everything a reload replaces at once.
pub(crate) struct Routes {
    routes: Vec<Route>,
    pub(crate) tokens: Tokens,
    pub(crate) keys: Option<Keys>,
}

impl Routes {
    pub(crate) fn new(cfg: &ProxyConfig, oauth: &OAuthConfig) -> Result<Routes, GatewayError> {
        let connect = Duration::from_millis(cfg.timeouts.upstream_connect_ms);
        let mut upstreams = std::collections::HashMap::new();
        for u in &cfg.upstreams {
            if upstreams
                .insert(
                    u.name.clone(),
                    Arc::new(Upstream::new(u, connect, cfg.workers())?),
                )
                .is_some()
            {
                return Err(GatewayError::Upstream {
                    upstream: u.name.clone(),
                    detail: "defined twice".into(),
                });
            }
        }
        let tokens = Tokens::new(oauth)?;
        let keys = cfg.api_keys.as_deref().map(Keys::open).transpose()?;
        let mut routes = Vec::new();
        for r in &cfg.routes {
            if r.api_key.is_some() && keys.is_none() {
                return Err(GatewayError::route(
                    &r.name,
                    "api_key needs [proxy] api_keys = \"registry file\" (see `linkwell keys`)",
                ));
            }
            routes.push(route(r, &upstreams, &tokens)?);
        }
        // Longest prefix first, and host-specific routes before catch-alls.
        routes.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then(a.hosts.is_empty().cmp(&b.hosts.is_empty()))
        });
        Ok(Routes {
            routes,
            tokens,
            keys,
        })
    }

    pub(crate) fn find(&self, host: Option<&str>, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.serves_host(host) && r.serves_path(path))
    }

    pub(crate) fn all(&self) -> &[Route] {
        &self.routes
    }
}

fn route(
    r: &RouteConfig,
    upstreams: &std::collections::HashMap<String, Arc<Upstream>>,
    tokens: &Tokens,
) -> Result<Route, GatewayError> {
    let upstream = upstreams.get(&r.upstream).cloned().ok_or_else(|| {
        GatewayError::route(&r.name, format!("no upstream named '{}'", r.upstream))
    })?;
    if !r.path_prefix.starts_with('/') {
        return Err(GatewayError::route(
            &r.name,
            "path_prefix must start with '/'",
        ));
    }
    let rate = match &r.rate_limit {
        Some(l) if l.requests == 0 || l.per_secs == 0 => {
            return Err(GatewayError::route(
                &r.name,
                "rate_limit needs requests and per_secs above zero",
            ));
        }
        Some(l) => Some((
            Quota {
                requests: l.requests,
                period_ms: u64::from(l.per_secs) * 1000,
                burst: l.burst,
            },
            l.key,
        )),
        None => None,
    };
    Ok(Route {
        name: r.name.clone(),
        hosts: r.hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
        prefix: r.path_prefix.clone(),
        upstream,
        mtls: r.mtls.as_ref().map(MtlsPolicy::new).transpose()?,
        jwt: r
            .jwt
            .as_ref()
            .map(|j| tokens.route_policy(&r.name, j))
            .transpose()?,
        api_key: r.api_key.clone(),
        rate,
        adaptive: r.rate_limit.as_ref().is_some_and(|l| l.adaptive),
        baseline_key: {
            let d = ring::digest::digest(&ring::digest::SHA256, r.name.as_bytes());
            let mut b = [0u8; 8];
            b.copy_from_slice(&d.as_ref()[..8]);
            u64::from_le_bytes(b)
        },
        fail_open: r.fail_open,
    })
}

#[cfg(test)]
mod tests {
    use super::strip_port;

    #[test]
    fn ports_come_off_hosts() {
        assert_eq!(strip_port("api.example.com:8443"), "api.example.com");
        assert_eq!(strip_port("api.example.com"), "api.example.com");
        assert_eq!(strip_port("[2001:db8::1]:443"), "[2001:db8::1]");
    }
}
