//! The labelled attacks mixed into the benign traffic.
//!
//! Each attack has a *crew* (its addresses, identities and secrets, kept in
//! the immutable [`World`] so log lines can borrow them) and a *run*: the
//! planned times of its calls, played by the scheduler like any session.
//! Attack addresses are dedicated (no customer, partner or bench address
//! falls in them), so a label's clients identify its lines exactly.
//! Every attack draws from its own random stream: switching attacks off, or
//! changing the amount of benign traffic, leaves the other streams alone.

use std::fmt::Write as _;

use linkwell_core::{FindingKind, Owasp, Timestamp};

use crate::AttackLabel;
use crate::bank::{ACCOUNT_BASE, ACCOUNT_STEP, BROWSERS, Ep, Proto};
use crate::driver::World;
use crate::event::{Event, NO_LABEL};
use crate::ids::{base62_id, ipv4, push_date, push_jwt};
use crate::rng::Rng;

mod tables;

use tables::{
    NIKTO_UA, NMAP_UA, PAYLOADS, PROBE_PREFIXES, PROBES, STUFFING_UAS, TEST_PANS, ZOMBIE_UA,
};

const HOUR_MS: i64 = 3_600_000;
const MIN_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Stuffing,
    Distributed,
    BruteForce,
    Enumeration,
    Scanning,
    Injection,
    ResourceAbuse,
    ApiKeyInUrl,
    TokenInUrl,
    CardInUrl,
    ShadowDebug,
    ShadowExport,
    Zombie,
}

/// The static side of one attack.
pub(crate) struct Crew {
    kind: Kind,
    ips: Vec<String>,
    subjects: Vec<String>,
    accounts: Vec<String>,
    secret: String,
    /// The label every call counts for, and the second label of flagged calls.
    labels: [u8; 2],
    /// How far this crew's run is moved from its kind's usual time (wrapped
    /// within the simulated span), so crews of one kind do not coincide.
    shift_ms: i64,
}

/// One planned call.
#[derive(Debug, Clone, Copy)]
struct Shot {
    t: i64,
    who: u16,
    n: u32,
    flag: bool,
}

/// A further crew of a kind: its finding, the endpoint it targets, the hours
/// its two crews are moved by, and their /24 networks.
type Wave = (
    Kind,
    FindingKind,
    Owasp,
    String,
    [i64; 2],
    [(u8, u8, u8); 2],
);

/// The crews and their label templates (calls zero, windows empty).
pub(crate) fn crews(seed: u64) -> (Vec<Crew>, Vec<AttackLabel>) {
    let mut rng = Rng::stream(seed, 2);
    let mut crews = Vec::new();
    let mut labels = Vec::new();
    let mut label = |kind: FindingKind, owasp: Owasp, clients: &[String], ep: &str, what: &str| {
        labels.push(AttackLabel {
            kind: kind.name().to_string(),
            owasp: owasp.id().to_string(),
            clients: clients.to_vec(),
            endpoint: ep.to_string(),
            start: Timestamp(0),
            end: Timestamp(0),
            calls: 0,
            description: what.to_string(),
            addresses: Vec::new(),
        });
        (labels.len() - 1) as u8
    };
    let one = |s: &str| vec![s.to_string()];
    let cus = |rng: &mut Rng| base62_id(rng, "cus_", 10);
    let attacker_account = |i: u64| (40_900_000 + 37 * i).to_string();
    let login = Ep::Login.label();

    let ips = one("185.220.101.47");
    let l = label(
        FindingKind::CredentialStuffing,
        Owasp::Api2,
        &ips,
        &login,
        "Credential stuffing from one address: hundreds of logins within minutes, rotating browser user agents, almost all answered 401; a few succeed.",
    );
    let l2 = label(
        FindingKind::AccountTakeover,
        Owasp::Api2,
        &ips,
        &login,
        "Account takeover: the logins that succeeded (200) from the stuffing address among its failures.",
    );
    crews.push(Crew::new(Kind::Stuffing, ips, [l, l2]));

    let mut hosts: Vec<u8> = (2..=254).collect();
    let mut dist_ips = Vec::new();
    for (c, count) in [(205u8, 60usize), (206, 5)] {
        for i in 0..count {
            let j = i + rng.index(hosts.len() - i);
            hosts.swap(i, j);
            dist_ips.push(std::net::Ipv4Addr::from(ipv4(45, 155, c, hosts[i])).to_string());
        }
    }
    let l = label(
        FindingKind::CredentialStuffing,
        Owasp::Api2,
        &["45.155.205.0/24".to_string(), "45.155.206.0/24".to_string()],
        &login,
        "Low-and-slow distributed credential stuffing: 65 addresses in two /24 networks, each failing only 3-6 logins over an hour, all with the same browser user agent.",
    );
    crews.push(Crew::new(Kind::Distributed, dist_ips, [l, NO_LABEL]));

    let ips = one("193.142.146.35");
    let l = label(
        FindingKind::BruteForce,
        Owasp::Api2,
        &ips,
        &Ep::LegacyStatement.label(),
        "Brute force of one account ('d.okafor') with HTTP Basic auth on the legacy statement endpoint; every attempt answered 401.",
    );
    let mut c = Crew::new(Kind::BruteForce, ips, [l, NO_LABEL]);
    c.secret = "d.okafor".to_string();
    crews.push(c);

    let ips = one("109.146.33.8");
    let subject = cus(&mut rng);
    let l = label(
        FindingKind::Enumeration,
        Owasp::Api1,
        &ips,
        &Ep::Account.label(),
        &format!(
            "BOLA / object enumeration: authenticated customer {subject} walks sequential account ids; mostly 403/404, a few 200 for accounts that are not theirs."
        ),
    );
    let mut c = Crew::new(Kind::Enumeration, ips, [l, NO_LABEL]);
    c.subjects.push(subject);
    crews.push(c);

    let ips = one("162.243.10.15");
    let l = label(
        FindingKind::Scanning,
        Owasp::Api9,
        &ips,
        "*",
        "Vulnerability scan (Nmap NSE, then Nikto) probing well-known files and admin paths such as /.env, /.git/config, /actuator/env, /swagger.json; mostly 404.",
    );
    crews.push(Crew::new(Kind::Scanning, ips, [l, NO_LABEL]));

    let ips = one("103.251.167.20");
    let l = label(
        FindingKind::Injection,
        Owasp::Api8,
        &ips,
        "*",
        "Injection attempts in the query and path of real endpoints: SQL injection, XSS, path traversal and command injection; answered 400, 500 or 200.",
    );
    let mut c = Crew::new(Kind::Injection, ips, [l, NO_LABEL]);
    c.subjects.push(cus(&mut rng));
    c.accounts.push(attacker_account(1));
    crews.push(c);

    let ips = one("52.56.33.90");
    let l = label(
        FindingKind::ResourceAbuse,
        Owasp::Api4,
        &ips,
        &Ep::Transactions.label(),
        "Resource abuse: one client pulls transactions with limit=100000 about once a second for half an hour; multi-megabyte responses, some rate-limited.",
    );
    let mut c = Crew::new(Kind::ResourceAbuse, ips, [l, NO_LABEL]);
    c.subjects.push(cus(&mut rng));
    c.accounts.push(attacker_account(2));
    crews.push(c);

    let ips = one("18.135.20.11");
    let l = label(
        FindingKind::CredentialInUrl,
        Owasp::Api2,
        &ips,
        &Ep::FxRates.label(),
        "An API key sent in the query string (api_key=...) by a server-side integration; it ends up in every proxy and browser log.",
    );
    let mut c = Crew::new(Kind::ApiKeyInUrl, ips, [l, NO_LABEL]);
    c.secret = base62_id(&mut rng, "lw_live_", 32);
    crews.push(c);

    let ips = one("35.178.41.2");
    let l = label(
        FindingKind::CredentialInUrl,
        Owasp::Api2,
        &ips,
        &Ep::Balance.label(),
        "A bearer token (JWT) sent in the query string (access_token=...).",
    );
    let mut c = Crew::new(Kind::TokenInUrl, ips, [l, NO_LABEL]);
    c.subjects.push(cus(&mut rng));
    c.accounts.push(attacker_account(3));
    crews.push(c);

    let ips = one("51.140.7.19");
    let l = label(
        FindingKind::SensitiveDataExposure,
        Owasp::Api3,
        &ips,
        &Ep::Cards.label(),
        "Card numbers (Luhn-valid test PANs) sent in a query parameter (card_number=...).",
    );
    let mut c = Crew::new(Kind::CardInUrl, ips, [l, NO_LABEL]);
    c.subjects.push(cus(&mut rng));
    crews.push(c);

    let ips = vec!["146.75.32.10".to_string(), "146.75.32.11".to_string()];
    let l = label(
        FindingKind::ShadowEndpoint,
        Owasp::Api9,
        &ips,
        &Ep::DebugConfig.label(),
        "Shadow endpoint: an undocumented internal debug endpoint answering from the internet.",
    );
    crews.push(Crew::new(Kind::ShadowDebug, ips, [l, NO_LABEL]));

    let ips = one("146.75.32.12");
    let l = label(
        FindingKind::ShadowEndpoint,
        Owasp::Api9,
        &ips,
        &Ep::AdminExport.label(),
        "Shadow endpoint: an undocumented admin bulk export of user data.",
    );
    crews.push(Crew::new(Kind::ShadowExport, ips, [l, NO_LABEL]));

    let ips: Vec<String> = (0..3)
        .map(|i| format!("78.146.{}.{}", 201 + i, rng.range(2, 254)))
        .collect();
    let l = label(
        FindingKind::ZombieEndpoint,
        Owasp::Api9,
        &ips,
        &Ep::V0Account.label(),
        "Zombie endpoint: the deprecated v0 accounts endpoint, still called by an old app version (ExampleBank/5.2.1).",
    );
    let mut c = Crew::new(Kind::Zombie, ips, [l, NO_LABEL]);
    for i in 0..3 {
        c.subjects.push(cus(&mut rng));
        c.accounts.push(attacker_account(10 + i));
    }
    crews.push(c);

    // A second and third crew for each kind that acts on single clients, at
    // other hours and from other networks: per-class recall then counts
    // several attackers, not one.
    let waves: [Wave; 6] = [
        (
            Kind::Stuffing,
            FindingKind::CredentialStuffing,
            Owasp::Api2,
            login.clone(),
            [7, 15],
            [(185, 220, 102), (194, 26, 29)],
        ),
        (
            Kind::BruteForce,
            FindingKind::BruteForce,
            Owasp::Api2,
            Ep::LegacyStatement.label(),
            [5, 15],
            [(193, 142, 147), (45, 134, 26)],
        ),
        (
            Kind::Enumeration,
            FindingKind::Enumeration,
            Owasp::Api1,
            Ep::Account.label(),
            [4, 10],
            [(109, 146, 34), (151, 224, 3)],
        ),
        (
            Kind::Scanning,
            FindingKind::Scanning,
            Owasp::Api9,
            "*".to_string(),
            [8, 14],
            [(162, 243, 11), (64, 227, 96)],
        ),
        (
            Kind::Injection,
            FindingKind::Injection,
            Owasp::Api8,
            "*".to_string(),
            [3, 11],
            [(103, 251, 168), (91, 240, 118)],
        ),
        (
            Kind::ResourceAbuse,
            FindingKind::ResourceAbuse,
            Owasp::Api4,
            Ep::Transactions.label(),
            [6, 9],
            [(52, 56, 34), (3, 8, 77)],
        ),
    ];
    for (kind, fk, owasp, ep, shifts, nets) in waves {
        for (shift_h, (a, b, c)) in shifts.into_iter().zip(nets) {
            let ips =
                vec![std::net::Ipv4Addr::from(ipv4(a, b, c, rng.range(2, 254) as u8)).to_string()];
            let what = format!(
                "Another {} attacker, {shift_h} hours later than the first, from another network.",
                fk.name()
            );
            let l = label(fk, owasp, &ips, &ep, &what);
            let l2 = if kind == Kind::Stuffing {
                label(
                    FindingKind::AccountTakeover,
                    Owasp::Api2,
                    &ips,
                    &login,
                    "Account takeover: the logins that succeeded from this stuffing address.",
                )
            } else {
                NO_LABEL
            };
            let mut c = Crew::new(kind, ips, [l, l2]);
            c.shift_ms = shift_h * HOUR_MS;
            match kind {
                Kind::BruteForce => c.secret = format!("user{}", rng.range(1000, 9999)),
                Kind::Enumeration => c.subjects.push(cus(&mut rng)),
                Kind::Injection | Kind::ResourceAbuse => {
                    c.subjects.push(cus(&mut rng));
                    c.accounts.push(attacker_account(20 + crews.len() as u64));
                }
                _ => {}
            }
            crews.push(c);
        }
    }

    for crew in &crews {
        for l in crew.labels.iter().filter(|&&l| l != NO_LABEL) {
            if let Some(label) = labels.get_mut(usize::from(*l)) {
                label.addresses = crew.ips.clone();
            }
        }
    }
    (crews, labels)
}

impl Crew {
    fn new(kind: Kind, ips: Vec<String>, labels: [u8; 2]) -> Self {
        Crew {
            kind,
            ips,
            subjects: Vec::new(),
            accounts: Vec::new(),
            secret: String::new(),
            labels,
            shift_ms: 0,
        }
    }
}

/// One attack being played.
pub(crate) struct AttackRun {
    crew: usize,
    plan: Vec<Shot>,
    pos: usize,
    rng: Rng,
    /// The hour the cached token was issued in, and the token.
    token: (i64, String),
}

/// Plans every attack of the world.
pub(crate) fn plan(world: &World, seed: u64) -> Vec<AttackRun> {
    world
        .crews
        .iter()
        .enumerate()
        .map(|(i, crew)| {
            let mut rng = Rng::stream(seed, 100 + i as u64);
            let mut plan = plan_one(crew, world, &mut rng);
            if crew.shift_ms != 0 {
                let span = (world.end_ms - world.start_ms).max(1);
                for s in &mut plan {
                    s.t = world.start_ms + (s.t - world.start_ms + crew.shift_ms).rem_euclid(span);
                }
                plan.sort_by_key(|s| s.t);
            }
            plan.retain(|s| s.t >= world.start_ms && s.t < world.end_ms);
            AttackRun {
                crew: i,
                plan,
                pos: 0,
                rng,
                token: (i64::MIN, String::new()),
            }
        })
        .filter(|r| !r.plan.is_empty())
        .collect()
}

/// `base` calls at the default volume, grown with the square root of the
/// volume (attacks stay a small, clearly detectable share of big runs).
fn scaled(base: f64, factor: f64, min: u32) -> u32 {
    ((base * factor) as u32).max(min)
}

fn plan_one(crew: &Crew, world: &World, rng: &mut Rng) -> Vec<Shot> {
    // Bursts get more calls at higher volume but keep their duration.
    let s = world.scale.sqrt();
    let fast = |ms: i64| ((ms as f64 / s) as i64).max(20);
    let at = |h: i64, m: i64, sec: i64| world.start_ms + h * HOUR_MS + m * MIN_MS + sec * 1000;
    let span = world.end_ms - world.start_ms;
    let shot = |t: i64, who: u16, n: u32| Shot {
        t,
        who,
        n,
        flag: false,
    };
    // A burst of `n` calls from one client with gaps drawn by `gap`.
    let burst = |rng: &mut Rng, t0: i64, n: u32, gap: &dyn Fn(&mut Rng) -> i64| {
        let mut t = t0;
        (0..n)
            .map(|i| {
                let s = shot(t, 0, i);
                t += gap(rng);
                s
            })
            .collect::<Vec<_>>()
    };
    // Calls spread over the whole span, every `every` ms (jittered).
    let periodic = |rng: &mut Rng, who: u16, first: i64, every: i64| {
        let mut out = Vec::new();
        let mut t = world.start_ms + first;
        let mut n = 0;
        while t < world.end_ms {
            out.push(shot(t, who, n));
            n += 1;
            t += every - every / 10 + rng.below((every / 5).max(1) as u64) as i64;
        }
        out
    };
    let mut plan = match crew.kind {
        Kind::Stuffing => {
            let n = scaled(420.0, s, 60);
            let mut p = burst(rng, at(2, 13, 7), n, &|r| {
                fast(80 + r.exponential(550.0) as i64)
            });
            let wins = 2 + usize::from(n > 600);
            let from = n as usize * 3 / 10;
            let mut k = 0;
            while k < wins {
                let i = from + rng.index(n as usize - from);
                if !p[i].flag {
                    p[i].flag = true;
                    k += 1;
                }
            }
            p
        }
        Kind::Distributed => {
            let mut p = Vec::new();
            for who in 0..crew.ips.len() {
                for _ in 0..rng.range(3, 6) {
                    let t = at(10, 5, 0) + rng.below(HOUR_MS as u64) as i64;
                    p.push(shot(t, who as u16, 0));
                }
            }
            p
        }
        Kind::BruteForce => burst(rng, at(14, 20, 0), scaled(260.0, s, 50), &|r| {
            fast(1000 + r.below(2500) as i64)
        }),
        Kind::Enumeration => burst(rng, at(16, 5, 12), scaled(180.0, s, 60), &|r| {
            fast(400 + r.below(1600) as i64)
        }),
        Kind::Scanning => burst(rng, at(4, 40, 31), scaled(240.0, s, 80), &|r| {
            fast(150 + r.below(700) as i64)
        }),
        Kind::Injection => burst(rng, at(21, 30, 10), scaled(120.0, s, 40), &|r| {
            fast(500 + r.exponential(6000.0) as i64)
        }),
        Kind::ResourceAbuse => burst(rng, at(13, 10, 0), scaled(1500.0, s, 300), &|r| {
            fast(700 + r.below(900) as i64)
        }),
        Kind::ApiKeyInUrl => periodic(rng, 0, 7 * MIN_MS, 10 * MIN_MS),
        Kind::TokenInUrl => periodic(rng, 0, 13 * MIN_MS, 20 * MIN_MS),
        Kind::CardInUrl => {
            let n = (40 * span / (24 * HOUR_MS)).max(20);
            (0..n as u32)
                .map(|i| shot(world.start_ms + rng.below(span as u64) as i64, 0, i))
                .collect()
        }
        Kind::ShadowDebug => (0..14)
            .map(|i| {
                shot(
                    at(11, 0, 0) + rng.below(6 * HOUR_MS as u64) as i64,
                    (i % 2) as u16,
                    i,
                )
            })
            .collect(),
        Kind::ShadowExport => (0..6)
            .map(|i| shot(at(9, 0, 0) + rng.below(9 * HOUR_MS as u64) as i64, 0, i))
            .collect(),
        Kind::Zombie => (0..crew.ips.len() as u16)
            .flat_map(|who| {
                let first = rng.below(25 * MIN_MS as u64) as i64;
                periodic(rng, who, first, 30 * MIN_MS)
            })
            .collect(),
    };
    plan.sort_by_key(|s| (s.t, s.who, s.n));
    plan
}

impl AttackRun {
    pub(crate) fn first_time(&self) -> Option<i64> {
        self.plan.first().map(|s| s.t)
    }

    /// Emits the next planned call; returns when the one after is due.
    pub(crate) fn step<'w>(&mut self, world: &'w World, ev: &mut Event<'w>) -> Option<i64> {
        let shot = *self.plan.get(self.pos)?;
        self.pos += 1;
        let crew = &world.crews[self.crew];
        let rng = &mut self.rng;
        ev.ip
            .push_str(&crew.ips[usize::from(shot.who) % crew.ips.len()]);
        ev.port = rng.range(1024, 65_535) as u16;
        ev.labels = [
            crew.labels[0],
            if shot.flag { crew.labels[1] } else { NO_LABEL },
        ];
        let subject = |i: usize| crew.subjects.get(i).map_or("", String::as_str);
        let account = |i: usize| crew.accounts.get(i).map_or("40100000", String::as_str);
        match crew.kind {
            Kind::Stuffing => {
                ev.route(Ep::Login);
                ev.uri.push_str("/v1/auth/login");
                ev.ua = STUFFING_UAS[rng.index(STUFFING_UAS.len())];
                ev.proto = Proto::H11;
                ev.cipher = "TLS_AES_256_GCM_SHA384";
                ev.complete(rng, if shot.flag { 200 } else { 401 });
            }
            Kind::Distributed => {
                ev.route(Ep::Login);
                ev.uri.push_str("/v1/auth/login");
                ev.ua = BROWSERS[0];
                ev.complete(rng, 401);
            }
            Kind::BruteForce => {
                ev.route(Ep::LegacyStatement);
                ev.uri.push_str("/v1/legacy/statement?month=");
                push_date(&mut ev.uri, world.start_ms - 28 * 86_400_000);
                ev.uri.truncate(ev.uri.len() - 3);
                ev.remote_user = &crew.secret;
                ev.authorization = true;
                ev.ua = "Python-urllib/3.11";
                ev.proto = Proto::H11;
                ev.complete(rng, 401);
            }
            Kind::Enumeration => {
                let first = (ACCOUNT_BASE + ACCOUNT_STEP * (world.users.len() as u64 / 3))
                    .saturating_sub(5)
                    .max(ACCOUNT_BASE);
                let id = first + u64::from(shot.n);
                ev.route(Ep::Account);
                let _ = write!(ev.uri, "/v1/accounts/{id}");
                ev.subject = subject(0);
                ev.authorization = true;
                ev.client_id = "examplebank-android";
                ev.ua = "okhttp/4.12.0";
                let off = id - ACCOUNT_BASE;
                let exists = off.is_multiple_of(ACCOUNT_STEP)
                    && off / ACCOUNT_STEP < world.users.len() as u64;
                let status = match exists {
                    true if rng.chance(0.3) => 200,
                    true => 403,
                    false => 404,
                };
                ev.complete(rng, status);
            }
            Kind::Scanning => {
                let n = shot.n as usize;
                let (method, path, real) = PROBES[n % PROBES.len()];
                let prefix = PROBE_PREFIXES[(n / PROBES.len()) % PROBE_PREFIXES.len()];
                ev.uri.push_str(prefix);
                ev.uri.push_str(path);
                let total = self.plan.len();
                ev.ua = if n < total / 2 { NMAP_UA } else { NIKTO_UA };
                ev.proto = Proto::H11;
                ev.tls_version = "TLSv1.2";
                ev.cipher = "ECDHE-RSA-AES256-GCM-SHA384";
                match real {
                    Some((ep, status)) if prefix.is_empty() => {
                        ev.route(ep);
                        ev.complete(rng, status);
                    }
                    _ => {
                        ev.ep = Ep::Unknown;
                        ev.method = method;
                        ev.complete(rng, 404);
                    }
                }
            }
            Kind::Injection => {
                let (ep, template) = PAYLOADS[shot.n as usize % PAYLOADS.len()];
                ev.route(ep);
                ev.uri.push_str(&template.replace("{acc}", account(0)));
                ev.subject = subject(0);
                ev.authorization = true;
                ev.client_id = "examplebank-web";
                ev.ua = BROWSERS[5];
                let status = [400, 500, 200][rng.weighted(&[55, 25, 20])];
                ev.complete(rng, status);
            }
            Kind::ResourceAbuse => {
                ev.route(Ep::Transactions);
                let _ = write!(
                    ev.uri,
                    "/v1/accounts/{}/transactions?from=2019-01-01&to=",
                    account(0)
                );
                push_date(&mut ev.uri, shot.t);
                ev.uri.push_str("&limit=100000");
                ev.subject = subject(0);
                ev.authorization = true;
                ev.ua = "python-requests/2.31.0";
                ev.proto = Proto::H11;
                let status = [200, 429, 504][rng.weighted(&[88, 10, 2])];
                ev.complete(rng, status);
                if status == 200 {
                    let work = rng.lognormal(4_000.0, 0.4) as u32;
                    ev.request_ms += work;
                    if let Some(u) = ev.upstream.as_mut() {
                        u.ms += work;
                    }
                    ev.set_body(rng.lognormal(9.0e6, 0.5).clamp(2.0e6, 4.0e7) as u64);
                }
            }
            Kind::ApiKeyInUrl => {
                ev.route(Ep::FxRates);
                let _ = write!(
                    ev.uri,
                    "/v1/fx/rates?base=GBP&symbols=EUR,USD&api_key={}",
                    crew.secret
                );
                ev.ua = "Go-http-client/1.1";
                ev.proto = Proto::H11;
                ev.complete(rng, 200);
            }
            Kind::TokenInUrl => {
                let hour = shot.t.div_euclid(HOUR_MS);
                if self.token.0 != hour {
                    self.token.1.clear();
                    push_jwt(&mut self.token.1, rng, subject(0), hour * 3600);
                    self.token.0 = hour;
                }
                ev.route(Ep::Balance);
                let _ = write!(
                    ev.uri,
                    "/v1/accounts/{}/balance?access_token={}",
                    account(0),
                    self.token.1
                );
                ev.subject = subject(0);
                ev.client_id = "budgetbuddy-web";
                ev.ua = "axios/1.6.7";
                ev.proto = Proto::H11;
                ev.complete(rng, 200);
            }
            Kind::CardInUrl => {
                ev.route(Ep::Cards);
                let _ = write!(
                    ev.uri,
                    "/v1/cards?card_number={}",
                    TEST_PANS[shot.n as usize % TEST_PANS.len()]
                );
                ev.subject = subject(0);
                ev.authorization = true;
                ev.ua = "Apache-HttpClient/4.5.14 (Java/11.0.21)";
                ev.proto = Proto::H11;
                let status = if rng.chance(0.1) { 404 } else { 200 };
                ev.complete(rng, status);
            }
            Kind::ShadowDebug => {
                ev.route(Ep::DebugConfig);
                ev.uri.push_str("/v1/internal/debug/config");
                ev.ua = ["curl/8.5.0", "PostmanRuntime/7.36.3"][usize::from(shot.who) % 2];
                ev.proto = Proto::H11;
                ev.complete(rng, 200);
            }
            Kind::ShadowExport => {
                ev.route(Ep::AdminExport);
                ev.uri.push_str("/v1/admin/users/export?format=csv");
                ev.authorization = true;
                ev.ua = "python-requests/2.31.0";
                ev.proto = Proto::H11;
                ev.complete(rng, 200);
            }
            Kind::Zombie => {
                let who = usize::from(shot.who);
                ev.route(Ep::V0Account);
                ev.uri.push_str("/v0/accounts/");
                ev.uri.push_str(account(who));
                ev.subject = subject(who);
                ev.authorization = true;
                ev.client_id = "examplebank-ios";
                ev.ua = ZOMBIE_UA;
                ev.proto = Proto::H11;
                ev.tls_version = "TLSv1.2";
                ev.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
                let status = if rng.chance(0.05) { 304 } else { 200 };
                ev.complete(rng, status);
            }
        }
        self.plan.get(self.pos).map(|s| s.t)
    }
}
