//! HTTPS requests to an identity provider: JWKS documents and RFC 7662
//! token introspection. Bounded in size and time; the provider's
//! certificate is verified against the CA bundle given for it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::GatewayError;

/// Largest introspection answer read.
const MAX_INTROSPECTION_BYTES: usize = 64 * 1024;
/// How long one request to the provider may take.
const TIMEOUT: Duration = Duration::from_secs(3);

type Https = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client for one provider.
#[derive(Clone)]
pub(crate) struct Fetcher {
    client: Https,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fetcher")
    }
}

impl Fetcher {
    /// `ca` verifies the provider; plain `http://` is refused for anything
    /// but loopback by the caller's config check.
    pub(crate) fn new(ca: Option<&Path>) -> Result<Fetcher, GatewayError> {
        let tls = match ca {
            Some(ca) => crate::tls::upstream_client_config(ca)?,
            None => Arc::new(
                rustls::ClientConfig::builder_with_provider(crate::tls::provider())
                    .with_safe_default_protocol_versions()
                    .map_err(GatewayError::Tls)?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            ),
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(TIMEOUT));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Fetcher {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    async fn send(&self, req: Request<Full<Bytes>>, max: usize) -> Result<Bytes, String> {
        let resp = tokio::time::timeout(TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| "timed out".to_string())?
            .map_err(|e| format!("request failed: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("answered {}", resp.status()));
        }
        let body = tokio::time::timeout(TIMEOUT, Limited::new(resp.into_body(), max).collect())
            .await
            .map_err(|_| "timed out reading the answer".to_string())?
            .map_err(|e| format!("answer unreadable or larger than {max} bytes: {e}"))?;
        Ok(body.to_bytes())
    }

    pub(crate) async fn get(&self, url: &str, max: usize) -> Result<Bytes, String> {
        let req = Request::get(url)
            .header(header::ACCEPT, "application/jwk-set+json, application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| format!("bad URL {url}: {e}"))?;
        self.send(req, max).await
    }

    /// RFC 7662 §2.1: POST `token=...`, client authenticated with HTTP Basic.
    pub(crate) async fn introspect(
        &self,
        url: &str,
        client_id: &str,
        secret: &str,
        token: &str,
    ) -> Result<serde_json::Value, String> {
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form(client_id),
            form(secret)
        ));
        let body = format!("token={}&token_type_hint=access_token", form(token));
        let req = Request::post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::AUTHORIZATION, format!("Basic {basic}"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("bad URL {url}: {e}"))?;
        let bytes = self.send(req, MAX_INTROSPECTION_BYTES).await?;
        serde_json::from_slice(&bytes).map_err(|e| format!("introspection answer is not JSON: {e}"))
    }
}

/// `application/x-www-form-urlencoded` encoding (RFC 6749 §2.3.1 applies it
/// to client credentials in Basic auth too).
fn form(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::form;

    #[test]
    fn form_encoding_escapes_everything_but_the_safe_set() {
        assert_eq!(form("abc-._*"), "abc-._*");
        assert_eq!(form("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }
}
