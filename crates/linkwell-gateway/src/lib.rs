//! Linkwell's inline mode: a TLS reverse proxy in front of the APIs it guards.
//!
//! Every call is validated (client certificate, bearer token), rate-limited,
//! judged by the same engine that scans logs, recorded in the audit trail,
//! and then forwarded, throttled or blocked according to the mode: `shadow`
//! records what enforcement would have done, `enforce` does it, and the kill
//! switch turns the proxy into a plain pass-through at once while recording
//! continues.
//!
//! Layers, outside in: [`server`] (listeners, TLS, connections, graceful
//! shutdown) → [`proxy`] (routing, forwarding, header and body rules) →
//! [`guard`] (sanctions, checks, the engine, the audit trail) and
//! [`validate`] (per-route certificate and token checks).

pub mod admin;
pub mod config;
pub mod error;
pub mod guard;
pub mod hooks;
pub mod proxy;
pub mod server;
pub mod tls;
pub mod validate;

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;

pub use config::{OAuthConfig, ProxyConfig, ProxyMode};
pub use error::GatewayError;
pub use guard::{Guard, Switches};

use proxy::routes::Routes;

/// Re-reads the configuration for a reload (the binary owns the file).
pub type Reloader = dyn Fn() -> Result<(ProxyConfig, OAuthConfig), String> + Send + Sync;

/// One running proxy: its routes (swapped whole on reload), its guard and
/// its limits.
pub struct Gateway {
    routes: ArcSwap<Routes>,
    pub guard: Arc<Guard>,
    limits: config::Limits,
    timeouts: config::Timeouts,
    admin_token: Option<String>,
    reloader: Option<Box<Reloader>>,
    epoch: Instant,
}

impl Gateway {
    pub fn new(
        cfg: &ProxyConfig,
        oauth: &OAuthConfig,
        guard: Arc<Guard>,
        reloader: Option<Box<Reloader>>,
    ) -> Result<Arc<Gateway>, GatewayError> {
        let routes = Routes::new(cfg, oauth)?;
        let admin_token = match &cfg.admin {
            Some(a) => match (&a.token, &a.token_file) {
                (Some(t), _) => Some(t.clone()),
                (None, Some(f)) => Some(
                    std::fs::read_to_string(f)
                        .map_err(|e| GatewayError::file(f, e))?
                        .trim()
                        .to_string(),
                ),
                (None, None) => None,
            },
            None => None,
        };
        Ok(Arc::new(Gateway {
            routes: ArcSwap::from_pointee(routes),
            guard,
            limits: cfg.limits.clone(),
            timeouts: cfg.timeouts.clone(),
            admin_token,
            reloader,
            epoch: Instant::now(),
        }))
    }

    /// Milliseconds since start: the rate limiter's clock.
    fn clock_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Re-reads the configuration and swaps routes, upstreams, trust and
    /// keys at once; calls in flight finish on the routes they started with.
    /// Listeners, limits and the audit trail stay as they were.
    pub fn reload(&self, actor: &str) -> Result<usize, String> {
        let reloader = self
            .reloader
            .as_ref()
            .ok_or_else(|| "this gateway was started without a config file".to_string())?;
        let (cfg, oauth) = reloader()?;
        let routes = Routes::new(&cfg, &oauth).map_err(|e| e.to_string())?;
        let n = routes.all().len();
        self.routes.store(Arc::new(routes));
        let digest = {
            let d = ring::digest::digest(
                &ring::digest::SHA256,
                format!("{cfg:?}{oauth:?}").as_bytes(),
            );
            d.as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        self.guard
            .record_admin(linkwell_audit::AdminEvent::ConfigReload {
                digest,
                actor: actor.to_string(),
            });
        Ok(n)
    }

    /// Re-reads changed trust anchors, CRLs and JWKS files now (they are
    /// also re-read on their own when they change).
    pub fn refresh_files(&self) {
        let routes = self.routes.load();
        for r in routes.all() {
            if let Some(m) = &r.mtls {
                let _ = m.reload_if_changed();
            }
        }
        routes.tokens.reload();
    }
}
