#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;

use linkwell_core::{CallRecord, EndpointSummary, Method};

pub fn call(method: &str, host: &str, target: &str, status: u16) -> CallRecord<'static> {
    let mut r = CallRecord {
        method: Some(Method::parse(method).into_owned()),
        host: Some(Cow::Owned(host.to_string())),
        status,
        ..CallRecord::default()
    };
    r.set_target(Cow::Owned(target.to_string()));
    r
}

/// Names that stay literal under static templating (two syllables).
pub fn names(n: usize) -> Vec<String> {
    const SYL: [&str; 24] = [
        "ka", "lo", "mi", "ra", "ten", "su", "vo", "bel", "dan", "fi", "gor", "hu", "jas", "ke",
        "lin", "mar", "nor", "pel", "qua", "ros", "sim", "tor", "ul", "wen",
    ];
    (0..n)
        .map(|i| {
            format!(
                "{}{}{}",
                SYL[i % 24],
                SYL[(i / 24) % 24],
                SYL[(i / 576) % 24]
            )
        })
        .collect()
}

pub fn find<'a>(
    eps: &'a [EndpointSummary],
    method: &str,
    template: &str,
) -> Option<&'a EndpointSummary> {
    eps.iter()
        .find(|e| e.method == method && e.template == template)
}
