//! Counting failed logins per client, per account and per group of clients.
//!
//! - **One client** (an address): a burst (`auth_burst_failures` within
//!   `auth_burst_secs`, the inline rule), `stuffing_failures` in the long
//!   window, or `stuffing_usernames` distinct accounts, each only when most
//!   of the client's logins fail (`auth_min_failure_share`: a carrier NAT or
//!   an office behind one address fails often in absolute numbers, yet
//!   mostly succeeds); `stuffing_max_failures` whatever the share. Few
//!   accounts make it brute force, many make it stuffing.
//! - **One account** across addresses: `brute_force_failures` failures for
//!   one user name is brute force, distributed when several addresses try.
//! - **A group of clients** (IPv4 /24 or IPv6 /64; an ASN together with a
//!   user agent; a user agent; a crude TLS fingerprint): low-and-slow
//!   stuffing spreads a few attempts over many addresses, so a group
//!   failing `distributed_failures` times from `distributed_min_clients`
//!   addresses, mostly failing, is flagged. The most specific group that
//!   fires is reported. A client already flagged on its own is left out of
//!   the group counts, so a loud attacker does not make its neighbours'
//!   honest typos look like a campaign.
//!
//! All counters are sliding windows and distinct-count sketches in the
//! shared state: memory does not grow with the attack.

use std::net::IpAddr;

use linkwell_core::sketch::fmix64;
use linkwell_core::{ClientRef, Finding, FindingKind, Owasp, Severity};

use super::endpoint::Login;
use super::outcome::Failure;
use super::{Attempt, Limits, takeover};
use crate::CallContext;
use crate::detect::{Draft, client_of};
use crate::state::{Namespace, SharedState, ip_hash};

const IP_BURST: Namespace = Namespace::new("auth.ip.burst");
pub(super) const IP_FAILED: Namespace = Namespace::new("auth.ip.failed");
const IP_SUCCEEDED: Namespace = Namespace::new("auth.ip.succeeded");
const IP_USERS: Namespace = Namespace::new("auth.ip.users");
const USER_FAILED: Namespace = Namespace::new("auth.user.failed");
const USER_ADDRESSES: Namespace = Namespace::new("auth.user.addresses");
pub(super) const GROUP_FAILED: Namespace = Namespace::new("auth.group.failed");
const GROUP_SUCCEEDED: Namespace = Namespace::new("auth.group.succeeded");
const GROUP_ADDRESSES: Namespace = Namespace::new("auth.group.addresses");
const GROUP_USERS: Namespace = Namespace::new("auth.group.users");

/// Clients that share something an attacker's botnet shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    /// The IPv4 /24 or IPv6 /64 (the network address).
    Network(IpAddr),
    /// An autonomous system together with one user agent (hash): a botnet
    /// renting addresses across many /24s of one provider.
    AsnAgent(u32, u64),
    Agent(u64),
    Tls(u64),
}

impl Group {
    pub(super) fn id(self) -> u64 {
        let (tag, v) = match self {
            Group::Network(net) => (1u64, ip_hash(net)),
            Group::AsnAgent(asn, ua) => (2, fmix64(u64::from(asn)) ^ ua),
            Group::Agent(ua) => (3, ua),
            Group::Tls(fp) => (4, fp),
        };
        fmix64(v ^ tag.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// The groups of an attempt, most specific first.
    pub(super) fn of(a: &Attempt<'_>) -> [Option<Group>; 4] {
        [
            a.has_ip.then(|| Group::Network(network_of(a.ip))),
            a.asn
                .zip(a.agent_hash)
                .map(|(n, ua)| Group::AsnAgent(n, ua)),
            a.agent_hash.map(Group::Agent),
            a.tls_hash.map(Group::Tls),
        ]
    }

    /// Groups that name a source an attacker owns, so a success from them
    /// is suspicious; a user agent or cipher suite is shared by honest users.
    pub(super) fn is_source(self) -> bool {
        matches!(self, Group::Network(_) | Group::AsnAgent(..))
    }

    pub(super) fn describe(self) -> String {
        match self {
            Group::Network(net) => format!("network {}", network_label(net)),
            Group::AsnAgent(asn, _) => format!("AS{asn} with one user agent"),
            Group::Agent(_) => "one user agent".into(),
            Group::Tls(_) => {
                "one TLS fingerprint (version and cipher, or client certificate)".into()
            }
        }
    }

    /// Who the finding names. The client field holds an address or, for a
    /// distributed attack, the group: a network, `AS64500`, or for the
    /// groups without an address form `agent:` / `tls:` and a short hash,
    /// so each group is its own incident (the agent itself is in
    /// `user_agent`).
    pub(super) fn client(self, ctx: &CallContext<'_, '_>) -> ClientRef {
        let ua = || ctx.call.user_agent.as_deref().map(str::to_string);
        let (ip, user_agent) = match self {
            Group::Network(net) => (network_label(net), None),
            Group::AsnAgent(asn, _) => (format!("AS{asn}"), ua()),
            Group::Agent(h) => (format!("agent:{:08x}", h >> 32), ua()),
            Group::Tls(h) => (format!("tls:{:08x}", h >> 32), None),
        };
        ClientRef {
            ip: Some(ip),
            identity: None,
            user_agent,
        }
    }
}

pub(crate) fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            IpAddr::from([o[0], o[1], o[2], 0])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
        }
    }
}

fn network_label(net: IpAddr) -> String {
    match net {
        IpAddr::V4(_) => format!("{net}/24"),
        IpAddr::V6(_) => format!("{net}/64"),
    }
}

fn pct(part: u32, of: u32) -> u64 {
    if of == 0 {
        0
    } else {
        u64::from(part) * 100 / u64::from(of)
    }
}

fn minutes(secs: u32) -> String {
    if secs >= 120 {
        format!("{} minutes", secs / 60)
    } else {
        format!("{secs} seconds")
    }
}

/// Which client rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Burst,
    Failures,
    Usernames,
    Ceiling,
    AlreadyFlagged,
}

/// A login success: counted for the failure shares.
pub(super) fn success(st: &mut dyn SharedState, a: &Attempt<'_>, lim: &Limits) {
    st.add(IP_SUCCEEDED.key(a.ip_hash), a.now, lim.window, 1);
    for g in Group::of(a).into_iter().flatten() {
        st.add(GROUP_SUCCEEDED.key(g.id()), a.now, lim.window, 1);
    }
}

/// A failed login: counted everywhere, findings for every rule that fires.
/// Returns whether the client itself is flagged (the spike check leaves
/// flagged clients out, as the group counts do).
pub(super) fn failure(
    ctx: &CallContext<'_, '_>,
    st: &mut dyn SharedState,
    a: &Attempt<'_>,
    (login, why): (&Login, Failure),
    lim: &Limits,
    out: &mut Vec<Finding>,
) -> bool {
    let client_kind = client_rule(ctx, st, a, (login, why), lim, out);
    if a.user.is_some() {
        account_rule(ctx, st, a, client_kind, (login, why), lim, out);
    }
    if client_kind.is_none() {
        group_rules(ctx, st, a, (login, why), lim, out);
    }
    client_kind.is_some()
}

/// The client rules; returns the kind reported when one fired.
fn client_rule(
    ctx: &CallContext<'_, '_>,
    st: &mut dyn SharedState,
    a: &Attempt<'_>,
    (login, why): (&Login, Failure),
    lim: &Limits,
    out: &mut Vec<Finding>,
) -> Option<FindingKind> {
    let key = a.ip_hash;
    let burst = st.add(IP_BURST.key(key), a.now, lim.burst_secs, 1);
    let failed = st.add(IP_FAILED.key(key), a.now, lim.window, 1);
    let users = a
        .user
        .map(|_| st.distinct(IP_USERS.key(key), a.now, lim.window, a.user_hash));
    let least = lim
        .burst_failures
        .min(lim.stuffing_failures)
        .min(lim.stuffing_usernames);
    if failed < least {
        return None;
    }
    let by_share = if burst >= lim.burst_failures {
        Some(Rule::Burst)
    } else if failed >= lim.stuffing_failures {
        Some(Rule::Failures)
    } else if users.is_some_and(|u| u >= u64::from(lim.stuffing_usernames)) {
        Some(Rule::Usernames)
    } else {
        None
    };
    let succeeded = st.add(IP_SUCCEEDED.key(key), a.now, lim.window, 0);
    let rule = if failed >= lim.stuffing_max_failures {
        Rule::Ceiling
    } else if let Some(r) = by_share.filter(|_| lim.mostly_failing(failed, succeeded)) {
        r
    } else if takeover::ip_flagged(st, a) {
        Rule::AlreadyFlagged
    } else {
        return None;
    };
    takeover::flag_ip(st, a, lim);

    let share = pct(failed, failed + succeeded);
    let window = minutes(lim.window);
    let brute = users.is_some_and(|u| u <= 2);
    let accounts = match (users, a.user) {
        (Some(u), Some(name)) if u <= 2 => format!(" for the account '{name}'"),
        (Some(u), _) => format!(" for about {u} different accounts"),
        _ => String::new(),
    };
    let what = if brute {
        "password brute force against one account"
    } else if users.is_some() {
        "credential stuffing with a list of leaked credentials"
    } else {
        "credential stuffing or password guessing"
    };
    let explanation = match rule {
        Rule::Burst => format!(
            "{burst} failed logins{accounts} within {} from one address: an automated {what}, caught at its start.",
            minutes(lim.burst_secs)
        ),
        Rule::Failures => format!(
            "{failed} failed logins{accounts} in {window} from one address, {share}% of its logins failing: {what}."
        ),
        Rule::Usernames => format!(
            "{failed} failed logins{accounts} in {window} from one address, {share}% of its logins failing: {what}."
        ),
        Rule::Ceiling => format!(
            "{failed} failed logins{accounts} in {window} from one address, more than even a busy shared address produces ({succeeded} successes do not excuse them): {what}."
        ),
        Rule::AlreadyFlagged => format!(
            "{failed} failed logins{accounts} in {window} from an address already flagged for {what}."
        ),
    };
    let kind = if brute {
        FindingKind::BruteForce
    } else {
        FindingKind::CredentialStuffing
    };
    let mut d = Draft::new(kind, Owasp::Api2, Severity::High, 0.9)
        .count("failed_logins", u64::from(failed))
        .count("failed_logins_burst", u64::from(burst))
        .count("successful_logins", u64::from(succeeded))
        .count("failure_share_pct", share)
        .count("window_secs", u64::from(lim.window))
        .count("burst_window_secs", u64::from(lim.burst_secs))
        .explain(explanation);
    if let Some(u) = users {
        d = d.count("distinct_usernames", u);
    }
    d.cwe = Some(307);
    d.evidence.add_excerpt("grouped by: client address");
    d.evidence.add_excerpt(&why.describe());
    d.evidence.add_excerpt(login.how.describe());
    let mut client = client_of(ctx);
    if client.identity.is_none() && brute {
        client.identity = a.user.map(str::to_string);
    }
    out.push(d.finish_for(ctx, client));
    Some(kind)
}

/// Brute force against one account, from one address or many.
fn account_rule(
    ctx: &CallContext<'_, '_>,
    st: &mut dyn SharedState,
    a: &Attempt<'_>,
    client_kind: Option<FindingKind>,
    (login, why): (&Login, Failure),
    lim: &Limits,
    out: &mut Vec<Finding>,
) {
    let Some(user) = a.user else { return };
    let failed = st.add(USER_FAILED.key(a.user_hash), a.now, lim.window, 1);
    let addresses = st.distinct(
        USER_ADDRESSES.key(a.user_hash),
        a.now,
        lim.window,
        a.ip_hash,
    );
    if failed < lim.brute_force_failures {
        return;
    }
    takeover::target(st, a, lim);
    if client_kind == Some(FindingKind::BruteForce) {
        return;
    }
    let window = minutes(lim.window);
    let explanation = if addresses >= 2 {
        format!(
            "{failed} failed logins for the account '{user}' in {window} from about {addresses} addresses: a distributed password brute force against one account."
        )
    } else {
        format!(
            "{failed} failed logins for the account '{user}' in {window}: a password brute force against one account."
        )
    };
    let mut d = Draft::new(FindingKind::BruteForce, Owasp::Api2, Severity::High, 0.85)
        .count("failed_logins", u64::from(failed))
        .count("distinct_addresses", addresses)
        .count("distinct_usernames", 1)
        .count("window_secs", u64::from(lim.window))
        .explain(explanation);
    d.cwe = Some(307);
    d.evidence.add_excerpt("grouped by: account");
    d.evidence.add_excerpt(&why.describe());
    d.evidence.add_excerpt(login.how.describe());
    let mut client = client_of(ctx);
    client.identity = Some(user.to_string());
    out.push(d.finish_for(ctx, client));
}

/// Low-and-slow stuffing: the groups, most specific first.
fn group_rules(
    ctx: &CallContext<'_, '_>,
    st: &mut dyn SharedState,
    a: &Attempt<'_>,
    (login, why): (&Login, Failure),
    lim: &Limits,
    out: &mut Vec<Finding>,
) {
    let mut reported = false;
    for g in Group::of(a).into_iter().flatten() {
        let id = g.id();
        let failed = st.add(GROUP_FAILED.key(id), a.now, lim.window, 1);
        let addresses = st.distinct(GROUP_ADDRESSES.key(id), a.now, lim.window, a.ip_hash);
        let users = a
            .user
            .map(|_| st.distinct(GROUP_USERS.key(id), a.now, lim.window, a.user_hash));
        if reported
            || failed < lim.distributed_failures
            || addresses < u64::from(lim.distributed_min_clients)
        {
            continue;
        }
        let succeeded = st.add(GROUP_SUCCEEDED.key(id), a.now, lim.window, 0);
        if !lim.mostly_failing(failed, succeeded) {
            continue;
        }
        // A user agent or a cipher suite is shared by crowds of honest users:
        // an attack hiding in one shows only as a group that almost never
        // succeeds. Half failing is a mixed crowd, not a campaign.
        if !g.is_source()
            && (u64::from(failed) * 5) < (u64::from(failed) + u64::from(succeeded)) * 4
        {
            continue;
        }
        reported = true;
        if g.is_source() {
            takeover::flag_group(st, a, g, lim);
        }
        let share = pct(failed, failed + succeeded);
        let accounts = users.map_or(String::new(), |u| format!(" against about {u} accounts"));
        let (severity, confidence) = if g.is_source() {
            (Severity::High, 0.8)
        } else {
            (Severity::Medium, 0.6)
        };
        let mut d = Draft::new(FindingKind::CredentialStuffing, Owasp::Api2, severity, confidence)
            .count("failed_logins", u64::from(failed))
            .count("successful_logins", u64::from(succeeded))
            .count("failure_share_pct", share)
            .count("distinct_addresses", addresses)
            .count("window_secs", u64::from(lim.window))
            .explain(format!(
                "{failed} failed logins{accounts} in {} from about {addresses} addresses of {}, {share}% of the group's logins failing and each address trying only a few: distributed low-and-slow credential stuffing.",
                minutes(lim.window),
                g.describe()
            ));
        if let Some(u) = users {
            d = d.count("distinct_usernames", u);
        }
        d.cwe = Some(307);
        d.evidence
            .add_excerpt(&format!("grouped by: {}", g.describe()));
        d.evidence.add_excerpt(&why.describe());
        d.evidence.add_excerpt(login.how.describe());
        out.push(d.finish_for(ctx, g.client(ctx)));
    }
}
