//! Credential stuffing, brute force and account takeover on login endpoints
//! (OWASP API2:2023 Broken Authentication).
//!
//! Per call: recognise a login ([`endpoint`]), read whether it failed with
//! the endpoint's learned signature ([`outcome`]), then count it in shared
//! sliding windows and distinct-count sketches ([`stuffing`]: per client,
//! per account, per network, ASN and user agent, user agent, TLS
//! fingerprint; [`spike`]: per endpoint against its baseline). A success
//! from a flagged source is an account-takeover candidate ([`takeover`]).
//!
//! Every cross-sensor counter lives in [`SharedState`], so a fleet of
//! sensors sees one attack; only the learned endpoint facts stay here, one
//! small entry per endpoint. A call that is not a login costs a method
//! comparison (non-POST) or one map lookup (POST).

mod endpoint;
mod outcome;
mod spike;
mod stuffing;
mod takeover;

use std::net::IpAddr;

use linkwell_core::sketch::hash64;
use linkwell_core::{CallRecord, Finding, Timestamp};

use super::{Detector, ip_key};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::{SharedState, ip_hash};

use endpoint::{Login, Recognizer};
use outcome::{Outcome, Signatures};

pub(crate) struct AuthAbuse {
    recognizer: Recognizer,
    signatures: Signatures,
    limits: Limits,
}

/// The thresholds, copied out of the configuration once.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    window: u32,
    burst_secs: u32,
    burst_failures: u32,
    stuffing_failures: u32,
    stuffing_usernames: u32,
    stuffing_max_failures: u32,
    min_failure_share: f32,
    brute_force_failures: u32,
    distributed_failures: u32,
    distributed_min_clients: u32,
    spike_secs: u32,
    spike_failures: u32,
    spike_factor: f32,
}

impl Limits {
    fn new(cfg: &EngineConfig) -> Self {
        Limits {
            window: cfg.auth_window_secs.max(1),
            burst_secs: cfg.auth_burst_secs.max(1),
            burst_failures: cfg.auth_burst_failures.max(1),
            stuffing_failures: cfg.stuffing_failures.max(1),
            stuffing_usernames: cfg.stuffing_usernames.max(2),
            stuffing_max_failures: cfg.stuffing_max_failures.max(1),
            min_failure_share: cfg.auth_min_failure_share.clamp(0.0, 1.0),
            brute_force_failures: cfg.brute_force_failures.max(1),
            distributed_failures: cfg.distributed_failures.max(1),
            distributed_min_clients: cfg.distributed_min_clients.max(2),
            spike_secs: cfg.auth_spike_secs.max(1),
            spike_failures: cfg.auth_spike_failures.max(1),
            spike_factor: cfg.auth_spike_factor.max(1.0),
        }
    }

    /// Whether `failures` out of `failures + successes` is an attacker's mix.
    fn mostly_failing(&self, failures: u32, successes: u32) -> bool {
        let total = f64::from(failures) + f64::from(successes);
        total > 0.0 && f64::from(failures) >= f64::from(self.min_failure_share) * total
    }
}

/// One login attempt as the counters see it, hashed once.
pub(crate) struct Attempt<'c> {
    now: Timestamp,
    ip: IpAddr,
    ip_hash: u64,
    /// Whether the call had a client address (address-less calls share a
    /// stand-in that must not be grouped into a network).
    has_ip: bool,
    user: Option<&'c str>,
    user_hash: u64,
    agent_hash: Option<u64>,
    tls_hash: Option<u64>,
    asn: Option<u32>,
    endpoint: u64,
}

impl<'c> Attempt<'c> {
    fn new(ctx: &'c CallContext<'_, '_>, login: &Login) -> Self {
        let call = ctx.call;
        let ip = ip_key(ctx);
        let user = account(call);
        Attempt {
            now: call.time,
            ip,
            ip_hash: ip_hash(ip),
            has_ip: call.client_ip.is_some(),
            user,
            user_hash: user.map_or(0, |u| hash64(u.as_bytes())),
            agent_hash: call
                .user_agent
                .as_deref()
                .filter(|ua| !ua.is_empty() && *ua != "-")
                .map(|ua| hash64(ua.as_bytes())),
            tls_hash: tls_fingerprint(call),
            asn: ctx.enrich.asn,
            endpoint: login.id,
        }
    }
}

/// The account a login names: Basic user, the login name the source
/// extracted, or one read from the request body here.
fn account<'c>(call: &'c CallRecord<'_>) -> Option<&'c str> {
    call.identity
        .basic_user
        .as_deref()
        .or(call.identity.login_user.as_deref())
        .or_else(|| endpoint::body_account(call))
        .filter(|u| !u.is_empty())
}

/// A crude TLS client fingerprint: the client certificate when there is
/// one, else the negotiated version and cipher. Far coarser than JA3/JA4
/// (which sources rarely log), so it only groups together with a high
/// failure share.
fn tls_fingerprint(call: &CallRecord<'_>) -> Option<u64> {
    let tls = call.tls.as_ref()?;
    if let Some(fp) = tls.client_cert.as_ref().and_then(|c| {
        c.fingerprint_sha256
            .as_deref()
            .or(c.fingerprint_sha1.as_deref())
    }) {
        return Some(hash64(fp.as_bytes()));
    }
    let v = tls.version.as_deref().unwrap_or("");
    let c = tls.cipher.as_deref()?;
    Some(hash64(c.as_bytes()) ^ hash64(v.as_bytes()).rotate_left(7))
}

impl AuthAbuse {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        AuthAbuse {
            recognizer: Recognizer::new(&cfg.login_paths),
            signatures: Signatures::new(),
            limits: Limits::new(cfg),
        }
    }
}

impl Detector for AuthAbuse {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let Some(login) = self.recognizer.recognize(ctx.call, ctx.endpoint) else {
            return;
        };
        let outcome = self.signatures.judge(&login, ctx.call);
        if outcome == Outcome::Unknown {
            return;
        }
        let a = Attempt::new(ctx, &login);
        let lim = &self.limits;
        match outcome {
            Outcome::Failed(why) => {
                let flagged = stuffing::failure(ctx, state, &a, (&login, why), lim, out);
                // A flagged client is its own finding; the endpoint-wide
                // rate is about the failures nobody has explained yet.
                if !flagged {
                    spike::observe(ctx, state, &a, true, lim, out);
                }
            }
            Outcome::Succeeded => {
                spike::observe(ctx, state, &a, false, lim, out);
                stuffing::success(state, &a, lim);
                takeover::check(ctx, state, &a, lim, out);
            }
            Outcome::Unknown => {}
        }
    }
}

#[cfg(test)]
impl AuthAbuse {
    fn recognizer_len(&self) -> usize {
        self.recognizer.len()
    }

    fn signatures_len(&self) -> usize {
        self.signatures.len()
    }
}

#[cfg(test)]
mod tests;
