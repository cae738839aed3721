//! Ordinary traffic: customer sessions on the mobile apps and web banking,
//! anonymous visitors of the public endpoints, and open-banking partners
//! (TPPs) with mutual TLS.
//!
//! Sessions are planned when they start (their list of calls is fixed then,
//! so [`crate::arrivals`] can keep the total close to the requested number
//! of calls) and played one call at a time by the scheduler, which keeps
//! memory proportional to the number of concurrent sessions.

use std::fmt::Write as _;

use crate::bank::{
    BROWSERS, DevKind, Device, Ep, OB_HOST, Proto, Tpp, User, bench_ip, random_isp_v4,
    random_mobile_v4, random_v6,
};
use crate::driver::World;
use crate::event::Event;
use crate::ids::{push_date, push_ipv6, push_uuid_str};
use crate::rng::Rng;

const DAY_MS: i64 = 86_400_000;

/// One call a session will make.
#[derive(Debug, Clone, Copy)]
enum Act {
    Login { ok: bool },
    Token { ok: bool },
    Logout,
    Me,
    Accounts,
    Account(u8),
    Transactions(u8),
    Balance(u8),
    PaymentCreate,
    PaymentGet { old: bool },
    Cards,
    CardLimits(u8),
    CardFreeze(u8),
    Beneficiaries,
    BeneficiaryCreate,
    Fx,
    Branches,
    ObToken { ok: bool },
    ObAccounts,
    ObAccount(u8),
    ObBalances(u8),
    ObTransactions(u8),
    ObConsentCreate,
    ObConsentGet,
    ObPayment,
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Customer { user: u32, device: u8 },
    Public { ua: u8 },
    Tpp { tpp: u8, ip: u8, psu: u32 },
}

#[derive(Debug, Clone, Copy)]
enum Addr {
    Home,
    V4(u32),
    V6(u128),
    /// Bench mode: the session walks `k` addresses from `base`.
    Bench {
        base: u64,
        k: u64,
    },
    Tpp,
}

/// A planned visit.
pub(crate) struct Session {
    who: Who,
    addr: Addr,
    port: u16,
    acts: Vec<Act>,
    pos: usize,
    payment: u128,
    consent: u128,
}

impl Session {
    /// Plans a session; in bench mode its addresses are assigned by
    /// [`crate::arrivals::Arrivals`].
    pub(crate) fn new(world: &World, rng: &mut Rng) -> Self {
        let bench = world.bench.map(|_| Addr::Bench { base: 0, k: 1 });
        let port = rng.range(1024, 65_535) as u16;
        let mut acts = Vec::with_capacity(16);
        let (who, addr) = match rng.weighted(&[87, 4, 9]) {
            0 if !world.users.is_empty() => {
                let x = rng.f64() * world.activity.last().copied().unwrap_or(0.0);
                let user = world.activity.partition_point(|&c| c <= x);
                let user = user.min(world.users.len() - 1);
                let u = &world.users[user];
                let device = usize::from(u.devices.len() > 1 && rng.chance(0.3));
                let kind = u.devices[device].kind;
                plan_customer(rng, kind, u.accounts.len(), u.cards.len(), &mut acts);
                let addr = match bench {
                    Some(b) => b,
                    None if kind != DevKind::Web && rng.chance(0.3) => {
                        if rng.chance(0.2) {
                            Addr::V6(random_v6(rng, true))
                        } else {
                            Addr::V4(random_mobile_v4(rng))
                        }
                    }
                    None => Addr::Home,
                };
                (
                    Who::Customer {
                        user: user as u32,
                        device: device as u8,
                    },
                    addr,
                )
            }
            2 if !world.tpps.is_empty() => {
                let tpp = rng.index(world.tpps.len());
                let t = &world.tpps[tpp];
                let psu = rng.below(world.users.len().max(1) as u64) as u32;
                let accounts = world
                    .users
                    .get(psu as usize)
                    .map_or(1, |u| u.accounts.len());
                plan_tpp(rng, t.pisp_pct, accounts, &mut acts);
                let who = Who::Tpp {
                    tpp: tpp as u8,
                    ip: rng.index(t.ips.len()) as u8,
                    psu,
                };
                (who, Addr::Tpp)
            }
            _ => {
                for _ in 0..rng.range(1, 3) {
                    acts.push(if rng.chance(0.6) {
                        Act::Fx
                    } else {
                        Act::Branches
                    });
                }
                let addr = bench.unwrap_or_else(|| Addr::V4(random_isp_v4(rng)));
                let who = Who::Public {
                    ua: rng.index(BROWSERS.len()) as u8,
                };
                (who, addr)
            }
        };
        Session {
            who,
            addr,
            port,
            acts,
            pos: 0,
            payment: 0,
            consent: 0,
        }
    }

    /// How many calls the session will make.
    pub(crate) fn calls(&self) -> usize {
        self.acts.len()
    }

    /// Bench mode: whether the session takes its addresses from the bench pool.
    pub(crate) fn uses_bench(&self) -> bool {
        matches!(self.addr, Addr::Bench { .. })
    }

    /// Bench mode: the session walks `k` addresses from index `base`.
    pub(crate) fn set_bench(&mut self, base: u64, k: u64) {
        self.addr = Addr::Bench { base, k };
    }

    /// Emits the next call at `now`; returns when the one after is due.
    pub(crate) fn step<'w>(
        &mut self,
        now: i64,
        world: &'w World,
        rng: &mut Rng,
        ev: &mut Event<'w>,
    ) -> Option<i64> {
        let act = self.acts.get(self.pos).copied()?;
        match self.addr {
            Addr::Home | Addr::Tpp => {}
            Addr::V4(ip) => ev.set_ipv4(ip),
            Addr::V6(ip) => push_ipv6(&mut ev.ip, ip),
            Addr::Bench { base, k } => {
                let total = world.bench.unwrap_or(1).max(1);
                ev.set_ipv4(bench_ip((base + self.pos as u64 % k.max(1)) % total));
            }
        }
        ev.port = self.port;
        let think = match self.who {
            Who::Customer { user, device } => {
                let u = &world.users[user as usize];
                let d = &u.devices[usize::from(device) % u.devices.len()];
                self.customer(act, now, (u, d), rng, ev);
                match act {
                    Act::Login { ok: false } | Act::Token { ok: false } => {
                        rng.lognormal(6_000.0, 0.5)
                    }
                    Act::Login { .. } | Act::Token { .. } => rng.lognormal(1_500.0, 0.6),
                    _ => rng.lognormal(7_000.0, 0.9),
                }
            }
            Who::Public { ua } => {
                ev.ua = BROWSERS[usize::from(ua) % BROWSERS.len()];
                ev.referer = "https://www.examplebank.com/";
                let status = if rng.chance(0.005) { 429 } else { 200 };
                simple(act, rng, ev);
                ev.complete(rng, status);
                rng.lognormal(9_000.0, 0.8)
            }
            Who::Tpp { tpp, ip, psu } => {
                let t = &world.tpps[usize::from(tpp) % world.tpps.len()];
                let psu = world.users.get(psu as usize);
                self.tpp(act, (t, usize::from(ip), psu), rng, ev);
                rng.lognormal(150.0, 0.7)
            }
        };
        self.pos += 1;
        if self.pos >= self.acts.len() {
            return None;
        }
        let gap = i64::from(ev.request_ms) + think.clamp(20.0, 180_000.0) as i64;
        Some(now + gap)
    }

    /// A customer's call from device `d`.
    fn customer<'w>(
        &mut self,
        act: Act,
        now: i64,
        (u, d): (&'w User, &'w Device),
        rng: &mut Rng,
        ev: &mut Event<'w>,
    ) {
        if matches!(self.addr, Addr::Home) {
            ev.ip.push_str(&u.ip);
        }
        ev.ua = &d.ua;
        ev.client_id = d.client_id;
        ev.tls_version = d.tls_version;
        ev.cipher = d.cipher;
        let web = d.kind == DevKind::Web;
        if web {
            ev.referer = "https://online.examplebank.com/";
        }
        let authed = !matches!(act, Act::Login { .. } | Act::Token { .. });
        if authed {
            ev.subject = &u.subject;
            ev.authorization = true;
        }
        let account = |k: u8| u.accounts[usize::from(k) % u.accounts.len()].as_str();
        let card = |k: u8| u.cards[usize::from(k) % u.cards.len()].as_str();
        let uri = &mut ev.uri;
        let status = match act {
            Act::Login { ok } => {
                ev.ep = Ep::Login;
                uri.push_str("/v1/auth/login");
                if ok { 200 } else { 401 }
            }
            Act::Token { ok } => {
                ev.ep = Ep::Token;
                uri.push_str("/oauth2/token");
                if ok { 200 } else { 400 }
            }
            Act::Logout => {
                ev.ep = Ep::Logout;
                uri.push_str("/v1/auth/logout");
                204
            }
            Act::Me => {
                ev.ep = Ep::Me;
                uri.push_str("/v1/customers/me");
                if web && rng.chance(0.08) { 304 } else { 200 }
            }
            Act::Accounts => {
                ev.ep = Ep::Accounts;
                uri.push_str("/v1/accounts");
                if web && rng.chance(0.1) { 304 } else { 200 }
            }
            Act::Account(k) => {
                ev.ep = Ep::Account;
                let _ = write!(uri, "/v1/accounts/{}", account(k));
                if rng.chance(0.005) { 404 } else { 200 }
            }
            Act::Transactions(k) => {
                ev.ep = Ep::Transactions;
                let _ = write!(uri, "/v1/accounts/{}/transactions?from=", account(k));
                push_date(uri, now - 30 * DAY_MS);
                uri.push_str("&to=");
                push_date(uri, now);
                let limit = if web { [25, 50, 100][rng.index(3)] } else { 50 };
                let _ = write!(uri, "&limit={limit}");
                if rng.chance(0.003) { 400 } else { 200 }
            }
            Act::Balance(k) => {
                ev.ep = Ep::Balance;
                let _ = write!(uri, "/v1/accounts/{}/balance", account(k));
                200
            }
            Act::PaymentCreate => {
                ev.ep = Ep::PaymentCreate;
                uri.push_str("/v1/payments");
                self.payment = rng.next_u128();
                [201, 400, 409, 422, 500][rng.weighted(&[960, 25, 3, 10, 2])]
            }
            Act::PaymentGet { old } => {
                ev.ep = Ep::PaymentGet;
                uri.push_str("/v1/payments/");
                let id = if old || self.payment == 0 {
                    rng.next_u128()
                } else {
                    self.payment
                };
                push_uuid_str(uri, id);
                if old && rng.chance(0.2) { 404 } else { 200 }
            }
            Act::Cards => {
                ev.ep = Ep::Cards;
                uri.push_str("/v1/cards");
                200
            }
            Act::CardLimits(k) => {
                ev.ep = Ep::CardLimits;
                let _ = write!(uri, "/v1/cards/{}/limits", card(k));
                if rng.chance(0.03) { 400 } else { 200 }
            }
            Act::CardFreeze(k) => {
                ev.ep = Ep::CardFreeze;
                let _ = write!(uri, "/v1/cards/{}/freeze", card(k));
                200
            }
            Act::Beneficiaries => {
                ev.ep = Ep::Beneficiaries;
                uri.push_str("/v1/beneficiaries");
                200
            }
            Act::BeneficiaryCreate => {
                ev.ep = Ep::BeneficiaryCreate;
                uri.push_str("/v1/beneficiaries");
                if rng.chance(0.04) { 400 } else { 201 }
            }
            Act::Fx | Act::Branches => {
                simple(act, rng, ev);
                if web && rng.chance(0.1) {
                    304
                } else if rng.chance(0.005) {
                    429
                } else {
                    200
                }
            }
            _ => 200,
        };
        ev.method = ev.ep.info().method;
        let status = if authed && status < 400 && rng.chance(0.0007) {
            [500, 503, 401][rng.weighted(&[5, 2, 3])]
        } else {
            status
        };
        ev.complete(rng, status);
    }

    /// A partner's call from its address `ip` on behalf of customer `psu`.
    fn tpp<'w>(
        &mut self,
        act: Act,
        (t, ip, psu): (&'w Tpp, usize, Option<&'w User>),
        rng: &mut Rng,
        ev: &mut Event<'w>,
    ) {
        ev.ip.push_str(&t.ips[ip % t.ips.len()]);
        ev.host = OB_HOST;
        ev.ua = t.ua;
        ev.subject = &t.id;
        ev.client_id = &t.id;
        ev.custom_id = &t.custom_id;
        ev.cert = Some(&t.cert);
        ev.fapi = Some(rng.next_u128());
        if t.tls12 {
            ev.proto = Proto::H11;
            ev.tls_version = "TLSv1.2";
            ev.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
        } else {
            ev.tls_version = "TLSv1.3";
            ev.cipher = "TLS_AES_256_GCM_SHA384";
        }
        let account = |k: u8| {
            psu.map_or("40100000", |u| {
                u.accounts[usize::from(k) % u.accounts.len()].as_str()
            })
        };
        ev.authorization = !matches!(act, Act::ObToken { .. });
        let uri = &mut ev.uri;
        let ok = match act {
            Act::ObToken { ok } => {
                ev.ep = Ep::ObToken;
                uri.push_str("/oauth2/token");
                if !ok {
                    ev.method = "POST";
                    ev.complete(rng, 400);
                    return;
                }
                200
            }
            Act::ObAccounts => {
                ev.ep = Ep::ObAccounts;
                uri.push_str("/open-banking/v3.1/aisp/accounts");
                200
            }
            Act::ObAccount(k) => {
                ev.ep = Ep::ObAccount;
                let _ = write!(uri, "/open-banking/v3.1/aisp/accounts/{}", account(k));
                200
            }
            Act::ObBalances(k) => {
                ev.ep = Ep::ObBalances;
                let _ = write!(
                    uri,
                    "/open-banking/v3.1/aisp/accounts/{}/balances",
                    account(k)
                );
                200
            }
            Act::ObTransactions(k) => {
                ev.ep = Ep::ObTransactions;
                let _ = write!(
                    uri,
                    "/open-banking/v3.1/aisp/accounts/{}/transactions?fromBookingDateTime=",
                    account(k)
                );
                push_date(uri, ev.time_ms - 7 * DAY_MS);
                uri.push_str("T00:00:00");
                200
            }
            Act::ObConsentCreate => {
                ev.ep = Ep::ObConsentCreate;
                uri.push_str("/open-banking/v3.1/pisp/domestic-payment-consents");
                self.consent = rng.next_u128();
                201
            }
            Act::ObConsentGet => {
                ev.ep = Ep::ObConsentGet;
                uri.push_str("/open-banking/v3.1/pisp/domestic-payment-consents/");
                push_uuid_str(uri, self.consent);
                200
            }
            Act::ObPayment => {
                ev.ep = Ep::ObPayment;
                uri.push_str("/open-banking/v3.1/pisp/domestic-payments");
                201
            }
            _ => 200,
        };
        ev.method = ev.ep.info().method;
        let status = [ok, 400, 403, 429, 500][rng.weighted(&[9_930, 30, 20, 15, 5])];
        ev.complete(rng, status);
    }
}

/// The public reference endpoints (no login needed).
fn simple(act: Act, rng: &mut Rng, ev: &mut Event<'_>) {
    const BASES: &[&str] = &["EUR", "EUR", "USD", "GBP", "CHF"];
    const CITIES: &[(f64, f64)] = &[
        (51.5072, -0.1276),
        (53.4808, -2.2426),
        (52.4862, -1.8904),
        (55.9533, -3.1883),
        (51.4545, -2.5879),
        (53.8008, -1.5491),
    ];
    if matches!(act, Act::Fx) {
        ev.route(Ep::FxRates);
        let _ = write!(
            ev.uri,
            "/v1/fx/rates?base={}",
            BASES[rng.index(BASES.len())]
        );
    } else {
        ev.route(Ep::Branches);
        let (lat, lon) = CITIES[rng.index(CITIES.len())];
        let jitter = |r: &mut Rng| (r.f64() - 0.5) * 0.1;
        ev.uri.push_str("/v1/branches?near=");
        push_coord(&mut ev.uri, lat + jitter(rng));
        ev.uri.push(',');
        push_coord(&mut ev.uri, lon + jitter(rng));
        let _ = write!(ev.uri, "&radius={}", [2, 5, 10][rng.index(3)]);
    }
}

fn plan_customer(rng: &mut Rng, kind: DevKind, accounts: usize, cards: usize, acts: &mut Vec<Act>) {
    let app = kind != DevKind::Web;
    if app && rng.chance(0.55) {
        if rng.chance(0.015) {
            acts.push(Act::Token { ok: false });
            acts.push(Act::Login { ok: true });
        } else {
            acts.push(Act::Token { ok: true });
        }
    } else {
        if rng.chance(0.04) {
            acts.push(Act::Login { ok: false });
            if rng.chance(0.12) {
                acts.push(Act::Login { ok: false });
            }
        }
        acts.push(Act::Login { ok: true });
    }
    if rng.chance(0.7) {
        acts.push(Act::Me);
    }
    acts.push(Act::Accounts);
    let acc = |r: &mut Rng| r.below(accounts.max(1) as u64) as u8;
    let card = |r: &mut Rng| r.below(cards.max(1) as u64) as u8;
    let n = (rng.exponential(4.5) as usize).min(25) + 1;
    for _ in 0..n {
        match rng.weighted(&[12, 22, 14, 8, 6, 2, 2, 1, 6, 5, 2, 2]) {
            0 => acts.push(Act::Account(acc(rng))),
            1 => acts.push(Act::Transactions(acc(rng))),
            2 => acts.push(Act::Balance(acc(rng))),
            3 => acts.push(Act::Cards),
            4 => {
                acts.push(Act::PaymentCreate);
                if rng.chance(0.8) {
                    acts.push(Act::PaymentGet { old: false });
                }
            }
            5 => acts.push(Act::PaymentGet { old: true }),
            6 => acts.push(Act::CardLimits(card(rng))),
            7 => acts.push(Act::CardFreeze(card(rng))),
            8 => {
                acts.push(Act::Beneficiaries);
                if rng.chance(0.15) {
                    acts.push(Act::BeneficiaryCreate);
                }
            }
            9 => acts.push(Act::Fx),
            10 => acts.push(Act::Branches),
            _ => acts.push(Act::Me),
        }
    }
    if rng.chance(0.35) {
        acts.push(Act::Logout);
    }
}

fn plan_tpp(rng: &mut Rng, pisp_pct: u32, accounts: usize, acts: &mut Vec<Act>) {
    if rng.chance(0.005) {
        acts.push(Act::ObToken { ok: false });
    }
    acts.push(Act::ObToken { ok: true });
    if rng.below(100) < u64::from(pisp_pct) {
        acts.push(Act::ObConsentCreate);
        acts.push(Act::ObConsentGet);
        acts.push(Act::ObPayment);
    } else {
        acts.push(Act::ObAccounts);
        for k in 0..accounts.min(4) as u8 {
            if rng.chance(0.3) {
                acts.push(Act::ObAccount(k));
            }
            acts.push(Act::ObBalances(k));
            if rng.chance(0.7) {
                acts.push(Act::ObTransactions(k));
            }
        }
    }
}

/// Appends a coordinate with four decimals (integer arithmetic: float
/// formatting is slow and this is per line).
fn push_coord(out: &mut String, v: f64) {
    let units = (v * 10_000.0).round() as i64;
    if units < 0 {
        out.push('-');
    }
    let a = units.unsigned_abs();
    let _ = write!(out, "{}.{:04}", a / 10_000, a % 10_000);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates() {
        let mut s = String::new();
        push_coord(&mut s, 51.50721);
        s.push(',');
        push_coord(&mut s, -0.12764);
        s.push(',');
        push_coord(&mut s, -0.00004);
        assert_eq!(s, "51.5072,-0.1276,0.0000");
    }
}
