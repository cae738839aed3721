//! Credential stuffing, brute force and account takeover on login endpoints
//! (OWASP API2:2023 Broken Authentication).
//!
//! A failed login is recognised by the status a login endpoint answers: 401
//! and 403 everywhere, and 400 on OAuth 2.0 token endpoints (RFC 6749
//! `invalid_grant`). Per client we count failures in a sliding window and the
//! distinct user names tried (when the source carries them); per network
//! (IPv4 /24, IPv6 /64) we count failures and distinct addresses to catch
//! low-and-slow stuffing spread thin over many addresses.

use std::net::IpAddr;

use linkwell_core::sketch::{Hll, hash64};
use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::{Detector, Draft, client_of, ip_key};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::SharedState;
use crate::state::{GenMap, Window};

pub(crate) struct AuthAbuse {
    clients: GenMap<IpAddr, ClientState>,
    networks: GenMap<IpAddr, NetState>,
    login_paths: Vec<String>,
    stuffing_failures: u32,
    distributed_failures: u32,
    distributed_min_clients: u32,
    window_secs: u32,
}

struct ClientState {
    failures: Window<12>,
    total_failures: u64,
    users: Hll,
    users_seen: bool,
    flagged: bool,
}

struct NetState {
    failures: Window<12>,
    addresses: Hll,
}

impl AuthAbuse {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        AuthAbuse {
            clients: GenMap::new(cfg.max_tracked_clients),
            networks: GenMap::new(cfg.max_tracked_clients / 4),
            login_paths: cfg.login_paths.clone(),
            stuffing_failures: cfg.stuffing_failures,
            distributed_failures: cfg.distributed_failures,
            distributed_min_clients: cfg.distributed_min_clients,
            window_secs: cfg.auth_window_secs,
        }
    }
}

/// Words that mark an authentication endpoint in a path template.
const LOGIN_WORDS: &[&str] = &[
    "login",
    "signin",
    "sign-in",
    "logon",
    "token",
    "auth",
    "authenticate",
    "session",
    "sessions",
    "oauth",
    "oauth2",
];

pub(crate) fn is_login(ctx: &CallContext<'_, '_>, extra: &[String]) -> bool {
    let t = &ctx.endpoint.template;
    if extra.iter().any(|p| p == t) {
        return true;
    }
    // Basic-auth attempts are logins wherever they happen.
    if ctx.call.identity.basic_user.is_some() {
        return true;
    }
    if ctx.endpoint.method != "POST" {
        return false;
    }
    let last = t.rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    // `/auth/logout` and `/token/revoke` are not login attempts.
    if matches!(
        last,
        "logout" | "signout" | "revoke" | "introspect" | "refresh"
    ) {
        return false;
    }
    t.split('/')
        .any(|seg| LOGIN_WORDS.iter().any(|w| seg.eq_ignore_ascii_case(w)))
}

fn is_token_endpoint(template: &str) -> bool {
    template.ends_with("/token")
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

fn network_label(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{}/24", network_of(ip)),
        IpAddr::V6(_) => format!("{}/64", network_of(ip)),
    }
}

impl Detector for AuthAbuse {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        _state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        if !is_login(ctx, &self.login_paths) {
            return;
        }
        let status = ctx.call.status;
        let failed = matches!(status, 401 | 403)
            || (status == 400 && is_token_endpoint(&ctx.endpoint.template));
        let succeeded = (200..300).contains(&status);
        if !failed && !succeeded {
            return;
        }
        let ip = ip_key(ctx);
        let now = ctx.call.time;
        let window = self.window_secs;
        let user = ctx.call.identity.basic_user.as_deref().or(ctx
            .call
            .identity
            .login_user
            .as_deref());
        let st = self.clients.entry(ip, || ClientState {
            failures: Window::new(window),
            total_failures: 0,
            users: Hll::new(6),
            users_seen: false,
            flagged: false,
        });
        if succeeded {
            if st.flagged {
                let fails = u64::from(st.failures.count(now));
                out.push(
                    Draft::new(FindingKind::AccountTakeover, Owasp::Api2, Severity::Critical, 0.7)
                        .count("failed_logins_before", fails)
                        .explain(format!(
                            "A login succeeded ({}) from a source that had just failed {} logins: the account may be taken over and should be checked.",
                            status,
                            fails
                        ))
                        .finish(ctx),
                );
            }
            return;
        }
        let fails = st.failures.add(now, 1);
        st.total_failures += 1;
        if let Some(u) = user {
            st.users.insert_hash(hash64(u.as_bytes()));
            st.users_seen = true;
        }
        if fails >= self.stuffing_failures {
            st.flagged = true;
            let users = st.users.estimate();
            let (kind, sev, what) = if st.users_seen && users <= 2 {
                (
                    FindingKind::BruteForce,
                    Severity::High,
                    format!(
                        "{fails} failed logins for the same account in {} minutes from one source: a password brute-force attack.",
                        window / 60
                    ),
                )
            } else if st.users_seen {
                (
                    FindingKind::CredentialStuffing,
                    Severity::High,
                    format!(
                        "{fails} failed logins for about {users} different accounts in {} minutes from one source: credential stuffing with a leaked password list.",
                        window / 60
                    ),
                )
            } else {
                (
                    FindingKind::CredentialStuffing,
                    Severity::High,
                    format!(
                        "{fails} failed logins in {} minutes from one source, far beyond a forgotten password: credential stuffing or password guessing.",
                        window / 60
                    ),
                )
            };
            let mut d = Draft::new(kind, Owasp::Api2, sev, 0.9)
                .count("failed_logins", u64::from(fails))
                .count("failed_logins_total", st.total_failures)
                .explain(what);
            if st.users_seen {
                d = d.count("distinct_usernames", users);
            }
            out.push(d.finish(ctx));
        }
        // Low and slow: the network as a whole.
        let net = network_of(ip);
        let ns = self.networks.entry(net, || NetState {
            failures: Window::new(window),
            addresses: Hll::new(6),
        });
        let net_fails = ns.failures.add(now, 1);
        ns.addresses.insert(ip.to_string().as_bytes());
        let addrs = ns.addresses.estimate();
        if net_fails >= self.distributed_failures
            && addrs >= u64::from(self.distributed_min_clients)
        {
            let mut client = client_of(ctx);
            client.ip = Some(network_label(ip));
            out.push(
                Draft::new(FindingKind::CredentialStuffing, Owasp::Api2, Severity::High, 0.75)
                    .count("failed_logins", u64::from(net_fails))
                    .count("distinct_addresses", addrs)
                    .explain(format!(
                        "{net_fails} failed logins from about {addrs} addresses of one network in {} minutes, each address trying only a few: distributed low-and-slow credential stuffing.",
                        window / 60
                    ))
                    .finish_for(ctx, client),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::Harness;
    use crate::detect::testkit::{call, key};
    use linkwell_core::Method;

    fn run(det: &mut AuthAbuse, calls: &[(String, u16, i64)]) -> Vec<Finding> {
        let k = key("POST", "/v1/auth/login");
        let mut out = vec![];
        let mut h = Harness::default();
        for (ip, status, t) in calls {
            let c = call(ip, Method::Post, "/v1/auth/login", *status, *t);
            h.run(det, &c, &k, &mut out);
        }
        out
    }

    #[test]
    fn stuffing_from_one_ip_then_takeover() {
        let mut d = AuthAbuse::new(&EngineConfig::default());
        let mut calls: Vec<_> = (0..30)
            .map(|i| ("198.51.100.9".to_string(), 401, i))
            .collect();
        calls.push(("198.51.100.9".to_string(), 200, 31));
        let out = run(&mut d, &calls);
        let stuffing: Vec<_> = out
            .iter()
            .filter(|f| f.kind == FindingKind::CredentialStuffing)
            .collect();
        assert_eq!(stuffing.len(), 11, "calls 20..=30 are flagged");
        assert_eq!(stuffing[0].evidence.get("failed_logins"), Some(20));
        assert!(out.iter().any(|f| f.kind == FindingKind::AccountTakeover));
    }

    #[test]
    fn a_few_typos_are_not_an_attack() {
        let mut d = AuthAbuse::new(&EngineConfig::default());
        let calls: Vec<_> = (0..200)
            .map(|i| {
                (
                    format!("203.0.{}.{}", i % 50, i),
                    if i % 7 == 0 { 401 } else { 200 },
                    i,
                )
            })
            .collect();
        assert!(run(&mut d, &calls).is_empty());
    }

    #[test]
    fn distributed_low_and_slow() {
        let mut d = AuthAbuse::new(&EngineConfig::default());
        // 60 addresses of one /24, 4 failures each, over an hour.
        let calls: Vec<_> = (0..240)
            .map(|i| (format!("192.0.2.{}", 10 + i % 60), 401, i * 14))
            .collect();
        let out = run(&mut d, &calls);
        let f = out
            .iter()
            .find(|f| f.client.ip.as_deref() == Some("192.0.2.0/24"));
        assert!(f.is_some(), "{out:?}");
        assert!(
            out.iter()
                .all(|f| f.client.ip.as_deref() == Some("192.0.2.0/24"))
        );
    }

    #[test]
    fn login_endpoint_recognition() {
        let c = call("1.1.1.1", Method::Post, "/oauth2/token", 400, 0);
        let k = key("POST", "/oauth2/token");
        assert!(is_login(&Harness::context(&c, &k), &[]));
        let k = key("POST", "/v1/auth/logout");
        assert!(!is_login(&Harness::context(&c, &k), &[]));
        let k = key("GET", "/v1/accounts");
        assert!(!is_login(&Harness::context(&c, &k), &[]));
    }
}
