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
pub mod incidents;
pub mod state;

use linkwell_core::{CallRecord, EndpointKey, Finding, Verdict};

pub use config::{EngineConfig, Mode};
pub use detect::Detector;
pub use incidents::IncidentBook;

/// What a detector sees for one call.
pub struct CallContext<'c, 'a> {
    pub call: &'c CallRecord<'a>,
    pub endpoint: &'c EndpointKey,
}

/// The per-call engine. Not `Sync`: one engine per pipeline; sensors that
/// share state across nodes do it through the state trait (later issue).
pub struct Engine {
    detectors: Vec<Box<dyn Detector>>,
    book: IncidentBook,
    cfg: EngineConfig,
    scratch: Vec<Finding>,
    calls: u64,
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Self {
        Engine {
            detectors: detect::default_detectors(&cfg),
            book: IncidentBook::new(cfg.max_incidents),
            cfg,
            scratch: Vec::new(),
            calls: 0,
        }
    }

    /// Judges one call. Findings are returned in the verdict and also folded
    /// into the incident book.
    pub fn process(&mut self, call: &CallRecord<'_>, endpoint: &EndpointKey) -> Verdict {
        self.calls += 1;
        self.scratch.clear();
        let ctx = CallContext { call, endpoint };
        for d in &mut self.detectors {
            d.inspect(&ctx, &mut self.scratch);
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

    pub fn incidents(&self) -> &IncidentBook {
        &self.book
    }

    /// Ends the run: the incidents, strongest first.
    pub fn finish(self) -> Vec<Finding> {
        self.book.into_findings()
    }
}
