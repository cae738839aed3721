//! The engine: one call in, one [`Verdict`] out, the same code for every source.
//!
//! `linkwell scan` feeds it log lines; the inline proxy and the gateway hooks
//! will feed it live calls. Because the engine only sees a [`CallRecord`] and
//! the endpoint key the inventory gave it, the same calls in the same order
//! give the same findings whichever way they arrived.
//!
//! The engine keeps only bounded state (generational maps, fixed windows,
//! sketches) and reads time from the calls themselves, never from the clock,
//! so a week of logs replays deterministically in seconds.
//!
//! Stages per call: detect (each [`Detector`] looks at the call and its own
//! state), then decide (risk and action from the findings and the mode), then
//! book (findings are folded into incidents, one per kind, client and endpoint).

pub mod config;
pub mod decide;
pub mod detect;
pub mod enrich;
mod fasthash;
pub mod features;
pub mod incidents;
pub mod state;
pub mod ua;

use linkwell_core::{CallRecord, EndpointKey, Finding, Verdict};

pub use config::{EngineConfig, Mode};
pub use detect::Detector;
pub use enrich::{Enricher, Enrichment};
pub use features::{FeatureTracker, Features};
pub use incidents::IncidentBook;
pub use state::{MemoryState, SharedState};

/// What a detector sees for one call.
pub struct CallContext<'c, 'a> {
    pub call: &'c CallRecord<'a>,
    pub endpoint: &'c EndpointKey,
    /// The endpoint's stable hash, computed once per call: several stages
    /// key their counters and baselines by it.
    pub endpoint_hash: u64,
    pub enrich: &'c Enrichment,
    /// Behavioural features of this call (session, timing, endpoint error
    /// rates, travel), computed before the detectors run.
    pub features: &'c Features,
}

/// The per-call engine. Not `Sync`: one engine per pipeline; sensors that
/// share counters across nodes do it through the [`SharedState`] backend
/// they give it.
pub struct Engine {
    detectors: Vec<Box<dyn Detector>>,
    state: Box<dyn SharedState>,
    enricher: Enricher,
    enrichment: Enrichment,
    tracker: FeatureTracker,
    features: Features,
    book: IncidentBook,
    cfg: EngineConfig,
    scratch: Vec<Finding>,
    calls: u64,
}

impl Engine {
    /// An engine with its state in memory (one node).
    pub fn new(cfg: EngineConfig) -> Self {
        let state = Box::new(MemoryState::new(cfg.max_state_entries));
        Self::with_state(cfg, state)
    }

    /// An engine whose counters live in `state` (shared by many sensors).
    pub fn with_state(cfg: EngineConfig, state: Box<dyn SharedState>) -> Self {
        Engine {
            detectors: detect::default_detectors(&cfg),
            state,
            enricher: Enricher::default(),
            enrichment: Enrichment::default(),
            tracker: FeatureTracker::new(&cfg),
            features: Features::default(),
            book: IncidentBook::new(cfg.max_incidents),
            cfg,
            scratch: Vec::new(),
            calls: 0,
        }
    }

    /// Replaces the enrichment sources (geolocation, threat intelligence);
    /// the caller loads them, the engine only reads them. This is also how
    /// they are reloaded: build a new [`Enricher`] from the new files and
    /// swap it in between two calls (its lookup cache starts empty).
    pub fn set_enricher(&mut self, enricher: Enricher) {
        self.enricher = enricher;
    }

    pub fn enricher(&self) -> &Enricher {
        &self.enricher
    }

    /// The enrichment of the last call processed.
    pub fn enrichment(&self) -> &Enrichment {
        &self.enrichment
    }

    /// The behavioural features of the last call processed (what the
    /// learned models will consume).
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// Judges one call. Findings are returned in the verdict and also folded
    /// into the incident book.
    pub fn process(&mut self, call: &CallRecord<'_>, endpoint: &EndpointKey) -> Verdict {
        self.calls += 1;
        self.scratch.clear();
        self.enricher.enrich(call, &mut self.enrichment);
        let endpoint_hash = detect::endpoint_hash(endpoint);
        self.tracker
            .observe_hashed(call, endpoint_hash, &self.enrichment, &mut self.features);
        let ctx = CallContext {
            call,
            endpoint,
            endpoint_hash,
            enrich: &self.enrichment,
            features: &self.features,
        };
        for d in &mut self.detectors {
            d.inspect(&ctx, self.state.as_mut(), &mut self.scratch);
        }
        if self.scratch.is_empty() {
            return Verdict::default();
        }
        let findings = std::mem::take(&mut self.scratch);
        for f in &findings {
            self.book.record(f);
        }
        decide::decide(findings, &self.cfg)
    }

    pub fn calls(&self) -> u64 {
        self.calls
    }

    pub fn state_stats(&self) -> state::StateStats {
        self.state.stats()
    }

    pub fn incidents(&self) -> &IncidentBook {
        &self.book
    }

    /// Ends the run: the incidents, strongest first.
    pub fn finish(self) -> Vec<Finding> {
        self.book.into_findings()
    }
}
