//! Cost of the injection detector alone: typical benign calls (the path
//! every call takes), attack calls, and a worst-case hostile body.

#![allow(clippy::unwrap_used)] // benches fail loudly on purpose

use criterion::{Criterion, criterion_group, criterion_main};
use linkwell_core::{CallRecord, Method};
use linkwell_engine::detect::scan_call;
use std::hint::black_box;

fn get(target: &str) -> CallRecord<'static> {
    let mut c = CallRecord {
        method: Some(Method::Get),
        status: 200,
        user_agent: Some("ExampleBank/7.12.0 (iPhone; iOS 17.4; Scale/3.00)".into()),
        ..Default::default()
    };
    c.set_target(target.to_string().into());
    c
}

fn benign() -> Vec<CallRecord<'static>> {
    let mut v = vec![
        get("/v1/accounts/10042"),
        get("/v1/accounts/10042/transactions?from=2026-01-01&to=2026-02-01&limit=50"),
        get("/v1/fx/rates?base=EUR&symbols=USD,GBP,CHF"),
        get("/v1/customers?name=O%27Reilly&city=Dublin"),
        get("/v1/payments?reference=Invoice+2026-11+(final)+-+select+plan"),
        get("/v1/subscriptions?callback=https%3A%2F%2Fpartner.example.com%2Fhooks"),
    ];
    let mut browser = get("/v1/statements?period=2026-Q1&tz=Europe%2FLondon");
    browser.user_agent = Some(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
            .into(),
    );
    browser.referer = Some("https://app.examplebank.com/accounts?tab=overview".into());
    browser.headers.push((
        "cookie".into(),
        "sid=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig; theme=dark".into(),
    ));
    v.push(browser);
    let mut post = get("/v1/payments");
    post.method = Some(Method::Post);
    post.content_type = Some("application/json".into());
    post.request_body = Some(
        r#"{"amount":"120.50","currency":"EUR","creditor":{"name":"O'Brien & Co","iban":"IE29AIBK93115212345678"},"remittance":"Invoice 2026-11","executeOn":"2026-03-01"}"#
            .into(),
    );
    v.push(post);
    v
}

fn attacks() -> Vec<CallRecord<'static>> {
    [
        "/v1/accounts?id=1%27%20OR%20%271%27%3D%271",
        "/v1/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/v1/files?name=..%2F..%2Fetc%2Fpasswd",
        "/v1/ping?host=8.8.8.8%3Bcat%20%2Fetc%2Fshadow",
        "/v1/hooks?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data",
        "/v1/items?id=1%20union%20all%20select%20null,null,version()--",
    ]
    .into_iter()
    .map(get)
    .collect()
}

/// A 16 KiB body of SQL- and HTML-looking noise that triggers every
/// analyser but matches none early: the bound on one call's cost.
fn hostile() -> CallRecord<'static> {
    let mut c = get("/v1/notes");
    c.method = Some(Method::Post);
    c.content_type = Some("text/plain".into());
    let unit = "a'b\"c(d)e;f<g h>i=j..k|l&m`n$o{p}q%r ";
    let body: String = unit.repeat(16 * 1024 / unit.len());
    c.request_body = Some(body.into());
    c
}

fn bench(c: &mut Criterion) {
    let benign = benign();
    for call in &benign {
        assert!(
            scan_call(call).is_none(),
            "benign call flagged: {}",
            call.path
        );
    }
    let attacks = attacks();
    for call in &attacks {
        assert!(scan_call(call).is_some(), "attack missed: {:?}", call.query);
    }
    let mut i = 0usize;
    c.bench_function("injection_benign_call", |b| {
        b.iter(|| {
            i += 1;
            black_box(scan_call(black_box(&benign[i % benign.len()])))
        })
    });
    let typical = &benign[1];
    c.bench_function("injection_benign_three_query_params", |b| {
        b.iter(|| black_box(scan_call(black_box(typical))))
    });
    let mut j = 0usize;
    c.bench_function("injection_attack_call", |b| {
        b.iter(|| {
            j += 1;
            black_box(scan_call(black_box(&attacks[j % attacks.len()])))
        })
    });
    let worst = hostile();
    c.bench_function("injection_hostile_16k_body", |b| {
        b.iter(|| black_box(scan_call(black_box(&worst))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
