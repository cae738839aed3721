//! The simulated bank: its endpoints (with latency and size profiles), its
//! upstream services, its customers and its open-banking partners (TPPs).
//!
//! Everything here is built once from the seed and is immutable while the
//! simulation runs, so log lines can borrow names and user agents from it.

use crate::ids::{base62_id, hex_string, ipv4};
use crate::rng::Rng;

pub(crate) const API_HOST: &str = "api.examplebank.com";
pub(crate) const OB_HOST: &str = "openbanking.examplebank.com";

/// First numeric account id; customer `i` owns `ACCOUNT_BASE + ACCOUNT_STEP * i`.
pub(crate) const ACCOUNT_BASE: u64 = 40_100_000;
pub(crate) const ACCOUNT_STEP: u64 = 13;

/// The upstream services behind the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Svc {
    Auth,
    Accounts,
    Payments,
    Cards,
    Reference,
    OpenBanking,
    Legacy,
    Internal,
}

pub(crate) struct SvcInfo {
    pub(crate) name: &'static str,
    pub(crate) host: &'static str,
    /// (ip, port) of the instances.
    pub(crate) upstreams: &'static [(&'static str, u16)],
    /// The same, pre-joined as NGINX writes `$upstream_addr`.
    pub(crate) addrs: &'static [&'static str],
}

impl Svc {
    pub(crate) fn info(self) -> &'static SvcInfo {
        match self {
            Svc::Auth => &SvcInfo {
                name: "auth-svc",
                host: "auth.svc.internal",
                upstreams: &[("10.0.1.10", 8080), ("10.0.1.11", 8080)],
                addrs: &["10.0.1.10:8080", "10.0.1.11:8080"],
            },
            Svc::Accounts => &SvcInfo {
                name: "accounts-svc",
                host: "accounts.svc.internal",
                upstreams: &[
                    ("10.0.1.12", 8080),
                    ("10.0.1.13", 8080),
                    ("10.0.1.14", 8080),
                ],
                addrs: &["10.0.1.12:8080", "10.0.1.13:8080", "10.0.1.14:8080"],
            },
            Svc::Payments => &SvcInfo {
                name: "payments-svc",
                host: "payments.svc.internal",
                upstreams: &[("10.0.2.20", 8080), ("10.0.2.21", 8080)],
                addrs: &["10.0.2.20:8080", "10.0.2.21:8080"],
            },
            Svc::Cards => &SvcInfo {
                name: "cards-svc",
                host: "cards.svc.internal",
                upstreams: &[("10.0.2.30", 8080)],
                addrs: &["10.0.2.30:8080"],
            },
            Svc::Reference => &SvcInfo {
                name: "reference-svc",
                host: "reference.svc.internal",
                upstreams: &[("10.0.3.40", 8080)],
                addrs: &["10.0.3.40:8080"],
            },
            Svc::OpenBanking => &SvcInfo {
                name: "openbanking-svc",
                host: "openbanking.svc.internal",
                upstreams: &[("10.0.4.50", 8443), ("10.0.4.51", 8443)],
                addrs: &["10.0.4.50:8443", "10.0.4.51:8443"],
            },
            Svc::Legacy => &SvcInfo {
                name: "legacy-core",
                host: "legacy-core.svc.internal",
                upstreams: &[("10.0.9.5", 8080)],
                addrs: &["10.0.9.5:8080"],
            },
            Svc::Internal => &SvcInfo {
                name: "backoffice-svc",
                host: "backoffice.svc.internal",
                upstreams: &[("10.0.9.17", 9000)],
                addrs: &["10.0.9.17:9000"],
            },
        }
    }
}

/// Every operation the simulator calls. `Unknown` is a path the gateway
/// has no route for (scanner probes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ep {
    Login,
    Token,
    Logout,
    Me,
    Accounts,
    Account,
    Transactions,
    Balance,
    PaymentCreate,
    PaymentGet,
    Cards,
    CardLimits,
    CardFreeze,
    Beneficiaries,
    BeneficiaryCreate,
    FxRates,
    Branches,
    Health,
    ObToken,
    ObAccounts,
    ObAccount,
    ObBalances,
    ObTransactions,
    ObConsentCreate,
    ObConsentGet,
    ObPayment,
    LegacyStatement,
    V0Account,
    DebugConfig,
    AdminExport,
    Unknown,
}

/// An operation's route and its performance profile.
pub(crate) struct EpInfo {
    pub(crate) method: &'static str,
    pub(crate) template: &'static str,
    /// Envoy route / Kong route name.
    pub(crate) route: &'static str,
    /// The Kong route's path prefix.
    pub(crate) prefix: &'static str,
    pub(crate) svc: Svc,
    /// Median service time (ms) and log-normal shape.
    pub(crate) latency_ms: f64,
    pub(crate) latency_sigma: f64,
    /// Median response body (bytes) on success.
    pub(crate) body: f64,
    pub(crate) body_sigma: f64,
    /// Request body bytes (POST/PATCH).
    pub(crate) req_body: u32,
}

const fn ep(
    method: &'static str,
    template: &'static str,
    (route, prefix): (&'static str, &'static str),
    svc: Svc,
    latency: (f64, f64),
    body: (f64, f64),
    req_body: u32,
) -> EpInfo {
    EpInfo {
        method,
        template,
        route,
        prefix,
        svc,
        latency_ms: latency.0,
        latency_sigma: latency.1,
        body: body.0,
        body_sigma: body.1,
        req_body,
    }
}

const OB: &str = "/open-banking/v3.1";

#[rustfmt::skip]
static EPS: [EpInfo; 31] = [
    ep("POST", "/v1/auth/login", ("auth_login", "/v1/auth"), Svc::Auth, (180.0, 0.3), (850.0, 0.05), 96),
    ep("POST", "/oauth2/token", ("oauth2_token", "/oauth2"), Svc::Auth, (90.0, 0.35), (1150.0, 0.05), 180),
    ep("POST", "/v1/auth/logout", ("auth_logout", "/v1/auth"), Svc::Auth, (20.0, 0.4), (0.0, 0.0), 0),
    ep("GET", "/v1/customers/me", ("customers_me", "/v1/customers"), Svc::Accounts, (35.0, 0.45), (1400.0, 0.15), 0),
    ep("GET", "/v1/accounts", ("accounts_list", "/v1/accounts"), Svc::Accounts, (45.0, 0.45), (1100.0, 0.3), 0),
    ep("GET", "/v1/accounts/{accountId}", ("accounts_get", "/v1/accounts"), Svc::Accounts, (30.0, 0.45), (900.0, 0.1), 0),
    ep("GET", "/v1/accounts/{accountId}/transactions", ("accounts_transactions", "/v1/accounts"), Svc::Accounts, (120.0, 0.6), (18_000.0, 0.5), 0),
    ep("GET", "/v1/accounts/{accountId}/balance", ("accounts_balance", "/v1/accounts"), Svc::Accounts, (25.0, 0.4), (320.0, 0.05), 0),
    ep("POST", "/v1/payments", ("payments_create", "/v1/payments"), Svc::Payments, (450.0, 0.5), (720.0, 0.1), 420),
    ep("GET", "/v1/payments/{paymentId}", ("payments_get", "/v1/payments"), Svc::Payments, (40.0, 0.45), (680.0, 0.1), 0),
    ep("GET", "/v1/cards", ("cards_list", "/v1/cards"), Svc::Cards, (40.0, 0.45), (1250.0, 0.25), 0),
    ep("PATCH", "/v1/cards/{cardId}/limits", ("cards_limits", "/v1/cards"), Svc::Cards, (80.0, 0.45), (310.0, 0.05), 90),
    ep("POST", "/v1/cards/{cardId}/freeze", ("cards_freeze", "/v1/cards"), Svc::Cards, (120.0, 0.45), (260.0, 0.05), 40),
    ep("GET", "/v1/beneficiaries", ("beneficiaries_list", "/v1/beneficiaries"), Svc::Payments, (40.0, 0.45), (1800.0, 0.4), 0),
    ep("POST", "/v1/beneficiaries", ("beneficiaries_create", "/v1/beneficiaries"), Svc::Payments, (150.0, 0.45), (420.0, 0.05), 260),
    ep("GET", "/v1/fx/rates", ("fx_rates", "/v1/fx"), Svc::Reference, (15.0, 0.5), (2200.0, 0.1), 0),
    ep("GET", "/v1/branches", ("branches", "/v1/branches"), Svc::Reference, (60.0, 0.5), (3500.0, 0.3), 0),
    ep("GET", "/health", ("health", "/health"), Svc::Reference, (2.0, 0.4), (15.0, 0.0), 0),
    ep("POST", "/oauth2/token", ("ob_token", "/oauth2"), Svc::OpenBanking, (110.0, 0.35), (1300.0, 0.05), 420),
    ep("GET", "/open-banking/v3.1/aisp/accounts", ("ob_aisp_accounts", OB), Svc::OpenBanking, (80.0, 0.4), (1600.0, 0.3), 0),
    ep("GET", "/open-banking/v3.1/aisp/accounts/{AccountId}", ("ob_aisp_account", OB), Svc::OpenBanking, (60.0, 0.4), (900.0, 0.1), 0),
    ep("GET", "/open-banking/v3.1/aisp/accounts/{AccountId}/balances", ("ob_aisp_balances", OB), Svc::OpenBanking, (55.0, 0.4), (700.0, 0.1), 0),
    ep("GET", "/open-banking/v3.1/aisp/accounts/{AccountId}/transactions", ("ob_aisp_transactions", OB), Svc::OpenBanking, (150.0, 0.55), (22_000.0, 0.5), 0),
    ep("POST", "/open-banking/v3.1/pisp/domestic-payment-consents", ("ob_pisp_consents", OB), Svc::OpenBanking, (250.0, 0.4), (1400.0, 0.05), 900),
    ep("GET", "/open-banking/v3.1/pisp/domestic-payment-consents/{ConsentId}", ("ob_pisp_consent", OB), Svc::OpenBanking, (60.0, 0.4), (1400.0, 0.05), 0),
    ep("POST", "/open-banking/v3.1/pisp/domestic-payments", ("ob_pisp_payments", OB), Svc::OpenBanking, (500.0, 0.45), (1500.0, 0.05), 1000),
    ep("GET", "/v1/legacy/statement", ("legacy_statement", "/v1/legacy"), Svc::Legacy, (30.0, 0.4), (48_000.0, 0.4), 0),
    ep("GET", "/v0/accounts/{accountId}", ("accounts_v0", "/v0"), Svc::Legacy, (70.0, 0.5), (850.0, 0.1), 0),
    ep("GET", "/v1/internal/debug/config", ("v1_catchall", "/v1"), Svc::Internal, (12.0, 0.4), (5400.0, 0.05), 0),
    ep("POST", "/v1/admin/users/export", ("v1_catchall", "/v1"), Svc::Internal, (2400.0, 0.5), (2_800_000.0, 0.3), 120),
    ep("GET", "", ("", ""), Svc::Internal, (0.0, 0.0), (0.0, 0.0), 0),
];

impl Ep {
    pub(crate) fn info(self) -> &'static EpInfo {
        &EPS[self as usize]
    }

    /// The label form `METHOD /template`.
    pub(crate) fn label(self) -> String {
        let i = self.info();
        format!("{} {}", i.method, i.template)
    }
}

/// What kind of device a customer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DevKind {
    Ios,
    Android,
    Web,
}

/// HTTP protocol as NGINX writes `$server_protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    H11,
    H2,
}

impl Proto {
    pub(crate) fn nginx(self) -> &'static str {
        match self {
            Proto::H11 => "HTTP/1.1",
            Proto::H2 => "HTTP/2.0",
        }
    }

    pub(crate) fn envoy(self) -> &'static str {
        match self {
            Proto::H11 => "HTTP/1.1",
            Proto::H2 => "HTTP/2",
        }
    }
}

pub(crate) struct Device {
    pub(crate) kind: DevKind,
    pub(crate) ua: String,
    pub(crate) client_id: &'static str,
    pub(crate) tls_version: &'static str,
    pub(crate) cipher: &'static str,
}

pub(crate) struct User {
    pub(crate) subject: String,
    /// Home address, IPv4 or IPv6 text.
    pub(crate) ip: String,
    pub(crate) devices: Vec<Device>,
    pub(crate) accounts: Vec<String>,
    pub(crate) cards: Vec<String>,
}

/// A client certificate as the gateway reports it.
pub(crate) struct ClientCert {
    pub(crate) subject: String,
    pub(crate) issuer: &'static str,
    pub(crate) serial: String,
    pub(crate) fp_sha1: String,
    pub(crate) fp_sha256: String,
    pub(crate) uri_san: String,
    pub(crate) not_after: &'static str,
}

/// An open-banking third party provider.
pub(crate) struct Tpp {
    pub(crate) id: String,
    pub(crate) custom_id: String,
    pub(crate) ips: Vec<String>,
    pub(crate) ua: &'static str,
    pub(crate) cert: ClientCert,
    /// Weight of payment-initiation (vs account-information) sessions, in %.
    pub(crate) pisp_pct: u32,
    /// A Java stack on TLS 1.2 (FAPI cipher suites) rather than TLS 1.3.
    pub(crate) tls12: bool,
}

pub(crate) const IOS_VERSIONS: &[&str] = &["17.4", "17.4.1", "17.3.1", "17.2.1", "16.7.5"];
pub(crate) const APP_VERSIONS: &[&str] = &["7.12.0", "7.12.0", "7.12.0", "7.11.2", "7.10.1"];
pub(crate) const ANDROID_MODELS: &[(&str, &str)] = &[
    ("14", "SM-S918B"),
    ("14", "Pixel 8"),
    ("13", "SM-A546B"),
    ("14", "Pixel 7a"),
    ("13", "M2101K6G"),
    ("12", "SM-G991B"),
];
pub(crate) const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.80",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
];

pub(crate) const HEALTH_MONITORS: &[(&str, &str)] = &[
    (
        "69.162.124.226",
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    ),
    (
        "178.255.152.2",
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    ),
];

/// Residential ISP ranges customers live in: (first octet, second-octet range).
const ISP_V4: &[(u8, u8, u8, u32)] = &[
    // first octet, second from, second to, weight
    (81, 2, 2, 25),
    (86, 128, 191, 35),
    (90, 192, 223, 20),
    (92, 16, 31, 20),
];
/// Mobile carrier ranges (sessions on the move).
const MOBILE_V4: &[(u8, u8)] = &[(82, 132), (92, 40)];
/// BT residential IPv6 (2a00:23c4::/32) and EE mobile IPv6 (2a01:4c8::/32).
const ISP_V6: u128 = 0x2a00_23c4 << 96;
const MOBILE_V6: u128 = 0x2a01_04c8 << 96;

pub(crate) fn random_isp_v4(rng: &mut Rng) -> u32 {
    let w: Vec<u32> = ISP_V4.iter().map(|r| r.3).collect();
    let (a, lo, hi, _) = ISP_V4[rng.weighted(&w)];
    ipv4(
        a,
        rng.range(u64::from(lo), u64::from(hi)) as u8,
        rng.below(256) as u8,
        rng.range(1, 254) as u8,
    )
}

/// A mobile session's address. A quarter of them come out of a carrier-grade
/// NAT: four public addresses per carrier shared by every subscriber behind
/// them, the case that must not look like one client attacking.
pub(crate) fn random_mobile_v4(rng: &mut Rng) -> u32 {
    let (a, b) = MOBILE_V4[rng.index(MOBILE_V4.len())];
    let (c, d) = (rng.below(256) as u8, rng.range(1, 254) as u8);
    if c < 64 {
        ipv4(a, b, 0, 1 + d % 4)
    } else {
        ipv4(a, b, c, d)
    }
}

pub(crate) fn random_v6(rng: &mut Rng, mobile: bool) -> u128 {
    let prefix = if mobile { MOBILE_V6 } else { ISP_V6 };
    prefix | (rng.next_u128() >> 32)
}

/// Bench mode: the `i`-th of many distinct public client addresses, spread
/// over /8s no customer, partner or attacker uses.
pub(crate) fn bench_ip(i: u64) -> u32 {
    const BLOCKS: &[u8] = &[2, 5, 31, 37, 46, 77, 79, 80, 83, 84, 87, 88, 89, 94, 95];
    let block = BLOCKS[((i >> 24) % BLOCKS.len() as u64) as usize];
    // Multiplying by an odd constant permutes the low 24 bits.
    let low = ((i & 0xFF_FFFF).wrapping_mul(2_654_435_761)) & 0xFF_FFFF;
    (u32::from(block) << 24) | low as u32
}

fn device(rng: &mut Rng, kind: DevKind) -> Device {
    match kind {
        DevKind::Ios => Device {
            kind,
            ua: format!(
                "ExampleBank/{} (iPhone; iOS {}; Scale/{})",
                APP_VERSIONS[rng.index(APP_VERSIONS.len())],
                IOS_VERSIONS[rng.index(IOS_VERSIONS.len())],
                if rng.chance(0.7) { "3.00" } else { "2.00" }
            ),
            client_id: "examplebank-ios",
            tls_version: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
        },
        DevKind::Android => {
            let ua = if rng.chance(0.3) {
                "okhttp/4.12.0".to_string()
            } else {
                let (os, model) = ANDROID_MODELS[rng.index(ANDROID_MODELS.len())];
                format!(
                    "ExampleBank/{} (Android {os}; {model}) okhttp/4.12.0",
                    APP_VERSIONS[rng.index(APP_VERSIONS.len())]
                )
            };
            Device {
                kind,
                ua,
                client_id: "examplebank-android",
                tls_version: "TLSv1.3",
                cipher: if rng.chance(0.3) {
                    "TLS_CHACHA20_POLY1305_SHA256"
                } else {
                    "TLS_AES_128_GCM_SHA256"
                },
            }
        }
        DevKind::Web => Device {
            kind,
            ua: BROWSERS[rng.index(BROWSERS.len())].to_string(),
            client_id: "examplebank-web",
            tls_version: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
        },
    }
}

pub(crate) fn make_users(rng: &mut Rng, n: usize) -> Vec<User> {
    (0..n)
        .map(|i| {
            let subject = base62_id(rng, "cus_", 10);
            let ip = if rng.chance(0.12) {
                std::net::Ipv6Addr::from(random_v6(rng, false)).to_string()
            } else {
                std::net::Ipv4Addr::from(random_isp_v4(rng)).to_string()
            };
            let primary =
                [DevKind::Ios, DevKind::Android, DevKind::Web][rng.weighted(&[42, 36, 22])];
            let mut devices = vec![device(rng, primary)];
            if primary != DevKind::Web && rng.chance(0.25) {
                devices.push(device(rng, DevKind::Web));
            }
            let mut accounts = vec![(ACCOUNT_BASE + ACCOUNT_STEP * i as u64).to_string()];
            for _ in 0..rng.weighted(&[50, 35, 15]) {
                accounts.push(base62_id(rng, "acc_", 14));
            }
            let cards = (0..1 + rng.weighted(&[70, 30]))
                .map(|_| base62_id(rng, "crd_", 12))
                .collect();
            User {
                subject,
                ip,
                devices,
                accounts,
                cards,
            }
        })
        .collect()
}

/// Cumulative activity weights: a few customers use the app far more than others.
pub(crate) fn activity(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|_| {
            acc += rng.lognormal(1.0, 0.8);
            acc
        })
        .collect()
}

pub(crate) fn make_tpps(rng: &mut Rng) -> Vec<Tpp> {
    // (id, organisation, FCA reference, egress addresses, user agent, % payment sessions)
    type TppRow = (
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static str,
        u32,
    );
    const TPPS: &[TppRow] = &[
        (
            "tpp-42",
            "Example TPP Ltd",
            "PSDGB-FCA-123456",
            &["3.9.120.14", "3.9.120.15"],
            "Apache-HttpClient/4.5.14 (Java/17.0.9)",
            30,
        ),
        (
            "tpp-7",
            "Moneywise Budgeting Ltd",
            "PSDGB-FCA-778812",
            &["34.89.10.7"],
            "Go-http-client/2.0",
            0,
        ),
        (
            "tpp-113",
            "Paybright Payments Ltd",
            "PSDGB-FCA-902114",
            &["20.68.15.200", "20.68.15.201"],
            "okhttp/4.11.0",
            85,
        ),
        (
            "tpp-208",
            "Ledgerly Accounting Ltd",
            "PSDGB-FCA-640021",
            &["18.169.5.44"],
            "python-httpx/0.27.0",
            5,
        ),
        (
            "tpp-31",
            "ClearSpend Ltd",
            "PSDGB-FCA-315570",
            &["13.42.88.9"],
            "Apache-HttpClient/5.2.1 (Java/21.0.2)",
            20,
        ),
    ];
    TPPS.iter()
        .enumerate()
        .map(|(i, &(id, org, custom, ips, ua, pisp_pct))| Tpp {
            id: id.to_string(),
            custom_id: custom.to_string(),
            ips: ips.iter().map(|s| s.to_string()).collect(),
            ua,
            cert: ClientCert {
                subject: format!("CN={id},O={org},C=GB"),
                issuer: "CN=Example Issuing CA,O=Example PKI,C=GB",
                serial: hex_string(rng, 16).to_ascii_uppercase(),
                fp_sha1: hex_string(rng, 40),
                fp_sha256: hex_string(rng, 64),
                uri_san: format!("spiffe://openbanking.examplebank.com/tpp/{}", &id[4..]),
                not_after: "Jan 31 23:59:59 2027 GMT",
            },
            pisp_pct,
            tls12: i % 2 == 0,
        })
        .collect()
}
