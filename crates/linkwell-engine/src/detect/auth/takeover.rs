//! Account-takeover candidates: a login that succeeds where an attack was
//! failing.
//!
//! Stuffing works: a fraction of a percent of leaked pairs still open an
//! account, and those successes are what matters most. When a client or a
//! source group is flagged, it is marked in the shared state for one
//! window; a success from a marked address, network or ASN-and-agent group
//! is a candidate (the account should be checked and its sessions revoked).
//! When an account is under brute force, a success for it from an address
//! that itself failed logins in the window is a candidate too; a success
//! from an unrelated address is most likely the real owner and is not.

use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::stuffing::{GROUP_FAILED, Group, IP_FAILED};
use super::{Attempt, Limits};
use crate::CallContext;
use crate::detect::{Draft, client_of};
use crate::state::{Namespace, SharedState};

const FLAGGED_IP: Namespace = Namespace::new("auth.flagged.ip");
const FLAGGED_GROUP: Namespace = Namespace::new("auth.flagged.group");
const TARGETED_USER: Namespace = Namespace::new("auth.targeted.user");

pub(super) fn flag_ip(st: &mut dyn SharedState, a: &Attempt<'_>, lim: &Limits) {
    st.mark(FLAGGED_IP.key(a.ip_hash), a.now, lim.window);
}

pub(super) fn ip_flagged(st: &mut dyn SharedState, a: &Attempt<'_>) -> bool {
    st.marked(FLAGGED_IP.key(a.ip_hash), a.now)
}

pub(super) fn flag_group(st: &mut dyn SharedState, a: &Attempt<'_>, g: Group, lim: &Limits) {
    st.mark(FLAGGED_GROUP.key(g.id()), a.now, lim.window);
}

pub(super) fn target(st: &mut dyn SharedState, a: &Attempt<'_>, lim: &Limits) {
    st.mark(TARGETED_USER.key(a.user_hash), a.now, lim.window);
}

/// Why a success is suspicious.
enum Suspect {
    FlaggedAddress,
    FlaggedGroup(Group),
    TargetedAccount,
}

/// A successful login: reports it if it comes from where an attack was.
pub(super) fn check(
    ctx: &CallContext<'_, '_>,
    st: &mut dyn SharedState,
    a: &Attempt<'_>,
    lim: &Limits,
    out: &mut Vec<Finding>,
) {
    let suspect = if ip_flagged(st, a) {
        Suspect::FlaggedAddress
    } else if let Some(g) = Group::of(a)
        .into_iter()
        .flatten()
        .filter(|g| g.is_source())
        .find(|g| st.marked(FLAGGED_GROUP.key(g.id()), a.now))
    {
        Suspect::FlaggedGroup(g)
    } else if a.user.is_some()
        && st.marked(TARGETED_USER.key(a.user_hash), a.now)
        && st.add(IP_FAILED.key(a.ip_hash), a.now, lim.window, 0) > 0
    {
        Suspect::TargetedAccount
    } else {
        return;
    };
    let failed_here = st.add(IP_FAILED.key(a.ip_hash), a.now, lim.window, 0);
    let who = a.user.map_or(String::new(), |u| format!(" for '{u}'"));
    let status = ctx.call.status;
    let window = lim.window / 60;
    let (severity, confidence, failed, grouping, explanation) = match suspect {
        Suspect::FlaggedAddress => (
            Severity::Critical,
            0.8,
            failed_here,
            "grouped by: client address".to_string(),
            format!(
                "A login{who} succeeded ({status}) from an address flagged for credential stuffing after {failed_here} failed logins in {window} minutes: the account may be taken over; check it and revoke its sessions."
            ),
        ),
        Suspect::FlaggedGroup(g) => {
            let group_failed = st.add(GROUP_FAILED.key(g.id()), a.now, lim.window, 0);
            (
                Severity::High,
                0.6,
                group_failed,
                format!("grouped by: {}", g.describe()),
                format!(
                    "A login{who} succeeded ({status}) from {}, flagged for distributed credential stuffing after {group_failed} failed logins in {window} minutes: the account may be taken over; check it.",
                    g.describe()
                ),
            )
        }
        Suspect::TargetedAccount => (
            Severity::High,
            0.6,
            failed_here,
            "grouped by: account".to_string(),
            format!(
                "A login{who} succeeded ({status}) while the account is under brute force, from an address that failed {failed_here} logins in {window} minutes: the password may have been guessed."
            ),
        ),
    };
    let mut d = Draft::new(
        FindingKind::AccountTakeover,
        Owasp::Api2,
        severity,
        confidence,
    )
    .count("failed_logins", u64::from(failed))
    .count("failed_logins_before", u64::from(failed_here))
    .count("window_secs", u64::from(lim.window))
    .explain(explanation);
    d.evidence.add_excerpt(&grouping);
    let mut client = client_of(ctx);
    if let Some(u) = a.user {
        client.identity = Some(u.to_string());
    }
    out.push(d.finish_for(ctx, client));
}
