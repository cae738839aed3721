//! The per-call policy: who may pass, what is recorded, what is enforced.
//!
//! The proxy asks the guard three things per call: is this source already
//! sanctioned (checked first, costs a map lookup); may this request go
//! upstream (validation results, rate limit and the engine's stateless
//! injection check, judged against the mode); and, once the upstream has
//! answered, what the engine makes of the whole call — which is recorded in
//! the audit trail and may sanction the source for its next requests.

pub(crate) mod blocklist;
pub mod problem;
pub mod ratelimit;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use linkwell_audit::{AdminEvent, AuditEvent, AuditLog, CallAudit};
use linkwell_core::{Action, CallRecord, Verdict};
use linkwell_engine::detect::{InjectionHit, scan_call};
use linkwell_engine::{Engine, EngineConfig};
use linkwell_inventory::{Inventory, InventoryConfig};

use crate::config::ProxyMode;
use blocklist::{Blocklist, Sanction};
pub use ratelimit::{Baseline, Limiter, Quota, RateDecision, Recommendation};

/// How long a source the engine wants rate-limited is answered 429.
const THROTTLE: Duration = Duration::from_secs(60);

/// The live switches an operator flips; read on every call.
pub struct Switches {
    enforce: AtomicBool,
    kill: AtomicBool,
}

impl Switches {
    pub fn new(mode: ProxyMode, kill: bool) -> Switches {
        Switches {
            enforce: AtomicBool::new(mode == ProxyMode::Enforce),
            kill: AtomicBool::new(kill),
        }
    }

    pub fn mode(&self) -> ProxyMode {
        if self.enforce.load(Ordering::Acquire) {
            ProxyMode::Enforce
        } else {
            ProxyMode::Shadow
        }
    }

    pub fn kill_switch(&self) -> bool {
        self.kill.load(Ordering::Acquire)
    }

    /// Whether refusals take effect now: enforce mode and no kill switch.
    pub fn enforcing(&self) -> bool {
        self.mode() == ProxyMode::Enforce && !self.kill_switch()
    }
}

/// The inventory and the engine, judged under one lock: both are
/// per-call state machines that need the calls one at a time and in order,
/// and together they cost a few microseconds per call.
struct Judge {
    inventory: Inventory,
    engine: Engine,
}

/// What happened to one call, for the record.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Failed checks as `check:reason`, enforced or not.
    pub problems: Vec<String>,
    /// The answer Linkwell gave instead of the upstream's, if any.
    pub refused: Option<Action>,
}

/// The recorded verdict of one call.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub verdict: Verdict,
    pub decision_id: String,
}

pub struct Guard {
    pub switches: Switches,
    judge: Mutex<Judge>,
    audit: Option<AuditLog>,
    blocklist: Blocklist,
    pub limiter: Limiter,
    /// Per-route client rates, for recommended (adaptive) limits.
    pub baseline: Baseline,
    seq: AtomicU64,
    /// Calls whose audit append failed (the trail reports its own errors;
    /// this counts them for health checks).
    pub audit_errors: AtomicU64,
}

impl Guard {
    pub fn new(
        switches: Switches,
        engine: EngineConfig,
        inventory: InventoryConfig,
        audit: Option<AuditLog>,
        block_for: Duration,
        max_blocked: usize,
    ) -> Arc<Guard> {
        // The engine always computes the enforcing action; whether it takes
        // effect is the proxy's live mode, which can change at runtime.
        let mut engine_cfg = engine;
        engine_cfg.mode = linkwell_engine::Mode::Enforce;
        Arc::new(Guard {
            switches,
            judge: Mutex::new(Judge {
                inventory: Inventory::new(inventory),
                engine: Engine::new(engine_cfg),
            }),
            audit,
            blocklist: Blocklist::new(block_for, max_blocked),
            limiter: Limiter::new(1_000_000),
            baseline: Baseline::default(),
            seq: AtomicU64::new(0),
            audit_errors: AtomicU64::new(0),
        })
    }

    /// The sanction standing against `ip`, and for how much longer.
    pub(crate) fn sanction(&self, ip: IpAddr) -> Option<(Sanction, Duration)> {
        self.blocklist.check(ip, Instant::now())
    }

    pub fn blocked_sources(&self) -> usize {
        self.blocklist.len()
    }

    /// Lifts every sanction (an operator's decision, recorded by the caller).
    pub fn clear_sanctions(&self) {
        self.blocklist.clear();
    }

    /// The engine's injection check on the request alone, so a known attack
    /// is stopped before it reaches the API, not after.
    pub fn precheck(&self, request: &CallRecord<'_>) -> Option<InjectionHit> {
        scan_call(request)
    }

    /// Judges the completed call, sanctions its source when the verdict
    /// says so and the proxy enforces, and appends the audit record.
    pub fn record(&self, call: &CallRecord<'_>, outcome: Outcome) -> Recorded {
        let mut verdict = match self.judge.lock() {
            Ok(mut j) => {
                let j = &mut *j;
                let key = j.inventory.observe(call);
                j.engine.process(call, key)
            }
            // A panic while judging an earlier call: record without a verdict
            // rather than take the proxy down.
            Err(_) => Verdict::default(),
        };
        let enforcing = self.switches.enforcing();
        let sanction = match verdict.action {
            Action::Block if verdict.enforced => Some(Sanction::Block),
            Action::RateLimit if verdict.enforced => Some(Sanction::Throttle),
            _ => None,
        };
        if let (Some(s), Some(ip), true) = (sanction, call.client_ip, enforcing) {
            let ttl = match s {
                Sanction::Block => None,
                Sanction::Throttle => Some(THROTTLE),
            };
            match ttl {
                None => self.blocklist.block(ip, Instant::now()),
                Some(t) => self.blocklist.sanction(ip, Instant::now(), s, t),
            }
        }
        if let Some(refused) = outcome.refused {
            // The answer the client got is the action on record.
            verdict.action = refused;
        }
        verdict.enforced = enforcing && (verdict.enforced || outcome.refused.is_some());
        let decision_id = self.append_call(call, &verdict, outcome.problems);
        Recorded {
            verdict,
            decision_id,
        }
    }

    /// Records a decision taken before the upstream answered (a gateway
    /// hook): the engine judges the call when the gateway's log brings its
    /// status, so here only the checks and the answer are on record.
    pub fn record_decision(&self, call: &CallRecord<'_>, outcome: Outcome) -> Recorded {
        let enforcing = self.switches.enforcing();
        let verdict = Verdict {
            action: outcome.refused.unwrap_or_default(),
            enforced: enforcing && outcome.refused.is_some(),
            ..Verdict::default()
        };
        let decision_id = self.append_call(call, &verdict, outcome.problems);
        Recorded {
            verdict,
            decision_id,
        }
    }

    fn append_call(
        &self,
        call: &CallRecord<'_>,
        verdict: &Verdict,
        problems: Vec<String>,
    ) -> String {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let Some(audit) = &self.audit else {
            return format!("local-{seq}");
        };
        let mut rec = CallAudit::new(call, None, verdict);
        rec.validation.problems = problems;
        match audit.append(&AuditEvent::Call(Box::new(rec))) {
            Ok(r) => r.decision_id,
            Err(_) => {
                self.audit_errors.fetch_add(1, Ordering::Relaxed);
                format!("unrecorded-{seq}")
            }
        }
    }

    /// Records an administrative event (kill switch, mode, reload).
    pub fn record_admin(&self, event: AdminEvent) -> Option<String> {
        let audit = self.audit.as_ref()?;
        match audit.append(&AuditEvent::Admin(event)) {
            Ok(r) => Some(r.decision_id),
            Err(_) => {
                self.audit_errors.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    pub fn set_mode(&self, mode: ProxyMode, actor: &str) -> Option<String> {
        let from = self.switches.mode();
        self.switches
            .enforce
            .store(mode == ProxyMode::Enforce, Ordering::Release);
        self.record_admin(AdminEvent::ModeChange {
            from: from.name().to_string(),
            to: mode.name().to_string(),
            actor: actor.to_string(),
        })
    }

    /// Flips the kill switch; the decision id of its audit record.
    pub fn set_kill_switch(&self, on: bool, actor: &str, reason: &str) -> Option<String> {
        self.switches.kill.store(on, Ordering::Release);
        self.record_admin(AdminEvent::KillSwitch {
            on,
            actor: actor.to_string(),
            reason: reason.to_string(),
        })
    }

    /// Writes everything queued to the audit trail and waits for it.
    pub fn flush(&self) {
        if let Some(a) = &self.audit {
            let _ = a.flush();
        }
    }
}
