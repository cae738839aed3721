//! From findings to risk and action.
//!
//! This is the skeleton of the autonomy model: low risk may act on its own,
//! medium waits for a human, high always waits for a human. Shadow mode
//! records the action without enforcing it.

use linkwell_core::{Action, Finding, FindingKind, Risk, Severity, Verdict};

use crate::config::{EngineConfig, Mode};

pub(crate) fn decide(findings: Vec<Finding>, cfg: &EngineConfig) -> Verdict {
    let worst = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or_default();
    let risk = match worst {
        Severity::Info => Risk::None,
        Severity::Low => Risk::Low,
        Severity::Medium => Risk::Medium,
        Severity::High | Severity::Critical => Risk::High,
    };
    let action = findings
        .iter()
        .map(|f| action_for(f.kind))
        .max()
        .unwrap_or_default();
    // A known attack pattern (injection, scanning, stuffing source) is a
    // low-risk action to take on its own: it blocks an attacker, not an API.
    let autonomous = matches!(action, Action::Block | Action::RateLimit | Action::Log);
    let (action, enforced) = match (cfg.mode, autonomous, risk) {
        (Mode::Shadow, _, _) => (action, false),
        (Mode::Enforce, true, _) => (action, true),
        (Mode::Enforce, false, Risk::High) => (Action::Escalate, false),
        (Mode::Enforce, false, _) => (Action::HoldForReview, false),
    };
    Verdict {
        findings,
        risk,
        action,
        enforced,
    }
}

fn action_for(kind: FindingKind) -> Action {
    match kind {
        FindingKind::Injection | FindingKind::Scanning | FindingKind::CredentialStuffing => {
            Action::Block
        }
        FindingKind::BruteForce | FindingKind::ResourceAbuse | FindingKind::Enumeration => {
            Action::RateLimit
        }
        FindingKind::AccountTakeover => Action::HoldForReview,
        _ => Action::Log,
    }
}
