//! Detectors: each looks at one call plus its own bounded state and may
//! report findings. A detector never does I/O and never reads the clock.
//!
//! These are the scan issue's first detectors; each has a module of its own
//! so it can grow (and be tested) on its own.

mod abuse;
mod auth;
mod behaviour;
mod bots;
mod clean_cache;
mod enumeration;
mod exposure;
mod injection;
mod intel;
mod keys;
pub(crate) use keys::endpoint_hash;
mod scanning;

use linkwell_core::{ClientRef, Evidence, Finding, FindingKind, Owasp, Severity};

use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::SharedState;

pub use injection::{InjectionClass, InjectionHit, Place, classify_injection, scan_call};

pub trait Detector: Send {
    fn name(&self) -> &'static str;
    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    );
}

pub fn default_detectors(cfg: &EngineConfig) -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(auth::AuthAbuse::new(cfg)),
        Box::new(scanning::Scanning::new(cfg)),
        Box::new(injection::Injection::default()),
        Box::new(enumeration::Enumeration::new(cfg)),
        Box::new(exposure::Exposure::new(cfg)),
        Box::new(abuse::Abuse::new(cfg)),
        Box::new(intel::ThreatIntel::new(cfg)),
        Box::new(behaviour::ImpossibleTravel::new(cfg)),
        Box::new(bots::Bots::new(cfg)),
    ]
}

/// The fields every finding needs, filled from the call so detectors only
/// say what is specific to them.
pub(crate) struct Draft {
    pub kind: FindingKind,
    pub owasp: Owasp,
    pub severity: Severity,
    pub confidence: f32,
    pub evidence: Evidence,
    pub explanation: String,
    pub cwe: Option<u32>,
}

impl Draft {
    pub(crate) fn new(
        kind: FindingKind,
        owasp: Owasp,
        severity: Severity,
        confidence: f32,
    ) -> Self {
        Draft {
            kind,
            owasp,
            severity,
            confidence,
            evidence: Evidence::default(),
            explanation: String::new(),
            cwe: None,
        }
    }

    pub(crate) fn explain(mut self, s: String) -> Self {
        self.explanation = s;
        self
    }

    pub(crate) fn count(mut self, name: &str, v: u64) -> Self {
        self.evidence.set_count(name, v);
        self
    }

    pub(crate) fn finish(self, ctx: &CallContext<'_, '_>) -> Finding {
        self.finish_for(ctx, client_of(ctx))
    }

    pub(crate) fn finish_for(mut self, ctx: &CallContext<'_, '_>, client: ClientRef) -> Finding {
        self.evidence.add_sample(ctx.call.source);
        Finding {
            kind: self.kind,
            owasp: self.owasp,
            severity: self.severity,
            confidence: self.confidence,
            client,
            endpoint: Some(ctx.endpoint.clone()),
            first_seen: ctx.call.time,
            last_seen: ctx.call.time,
            evidence: self.evidence,
            explanation: self.explanation,
            cwe: self.cwe,
        }
    }
}

pub(crate) fn client_of(ctx: &CallContext<'_, '_>) -> ClientRef {
    let id = &ctx.call.identity;
    ClientRef {
        ip: ctx.call.client_ip.map(|i| i.to_string()),
        identity: id
            .principal()
            .or(id.basic_user.as_deref())
            .or(id.login_user.as_deref())
            .map(str::to_string),
        user_agent: ctx.call.user_agent.as_deref().map(str::to_string),
    }
}

/// The client's address or, for calls without one, a stand-in so state is
/// still keyed (all address-less calls share it).
pub(crate) fn ip_key(ctx: &CallContext<'_, '_>) -> std::net::IpAddr {
    ctx.call
        .client_ip
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Builders for calls in detector tests.
    use linkwell_core::{CallRecord, EndpointKey, Finding, Method, SourceRef, Timestamp};

    use super::Detector;
    use crate::CallContext;
    use std::sync::LazyLock;

    use crate::enrich::{Enricher, Enrichment};
    use crate::features::{FeatureTracker, Features};
    use crate::state::MemoryState;

    /// What the engine gives a detector besides the call: state that lasts
    /// across the calls of one test, and the call's enrichment.
    pub(crate) struct Harness {
        pub(crate) state: MemoryState,
        pub(crate) enrich: Enrichment,
        /// Features are computed per call, as the engine does.
        pub(crate) tracker: FeatureTracker,
        pub(crate) features: Features,
        /// When set, fills `enrich` per call as the engine does.
        pub(crate) enricher: Option<Enricher>,
    }

    impl Default for Harness {
        fn default() -> Self {
            Harness {
                state: MemoryState::new(100_000),
                enrich: Enrichment::default(),
                tracker: FeatureTracker::new(&crate::EngineConfig::default()),
                features: Features::default(),
                enricher: None,
            }
        }
    }

    static NO_ENRICHMENT: Enrichment = Enrichment::EMPTY;
    static NO_FEATURES: LazyLock<Features> = LazyLock::new(Features::default);

    impl Harness {
        pub(crate) fn run(
            &mut self,
            det: &mut dyn Detector,
            call: &CallRecord<'_>,
            endpoint: &EndpointKey,
            out: &mut Vec<Finding>,
        ) {
            if let Some(e) = self.enricher.as_mut() {
                e.enrich(call, &mut self.enrich);
            }
            let endpoint_hash = super::keys::endpoint_hash(endpoint);
            self.tracker
                .observe_hashed(call, endpoint_hash, &self.enrich, &mut self.features);
            let ctx = CallContext {
                call,
                endpoint,
                endpoint_hash,
                enrich: &self.enrich,
                features: &self.features,
            };
            det.inspect(&ctx, &mut self.state, out);
        }

        /// A context without enrichment, for functions that take one.
        pub(crate) fn context<'c, 'a>(
            call: &'c CallRecord<'a>,
            endpoint: &'c EndpointKey,
        ) -> CallContext<'c, 'a> {
            CallContext {
                call,
                endpoint,
                endpoint_hash: super::keys::endpoint_hash(endpoint),
                enrich: &NO_ENRICHMENT,
                features: &NO_FEATURES,
            }
        }
    }

    pub(crate) fn call(
        ip: &str,
        method: Method<'static>,
        target: &str,
        status: u16,
        secs: i64,
    ) -> CallRecord<'static> {
        let mut c = CallRecord {
            time: Timestamp::from_secs(1_772_400_000 + secs),
            client_ip: ip.parse().ok(),
            method: Some(method),
            host: Some("api.example.com".into()),
            status,
            source: SourceRef {
                input: 0,
                line: secs as u64 + 1,
            },
            ..Default::default()
        };
        c.set_target(target.to_string().into());
        c
    }

    pub(crate) fn key(method: &str, template: &str) -> EndpointKey {
        EndpointKey::new(method, "api.example.com", template)
    }
}
