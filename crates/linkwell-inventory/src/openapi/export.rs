//! The observed inventory as an OpenAPI 3.1 document.
//!
//! For teams with no spec at all this is the starting point of one, and for
//! everyone it is a diffable record of what the traffic showed. OpenAPI
//! paths carry no host and treat `/a/{x}` and `/a/{y}` as the same path, so
//! endpoints that differ only by host or by placeholder kind are merged into
//! one operation (their hosts are listed in `x-linkwell-hosts`). Output is
//! built from sorted maps so the same inventory always exports the same
//! bytes.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use linkwell_core::{AuthScheme, AuthSchemes, Classification, EndpointSummary, Timestamp};
use serde_json::{Map, Value, json};

use crate::template::OVERFLOW;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Placeholders blanked out: the identity of an OpenAPI path.
fn shape(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut depth = 0;
    for c in template.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push('{');
            }
            '}' => {
                depth -= 1;
                out.push('}');
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// `/v1/{id}/cards/{id}` -> (`/v1/{id}/cards/{id2}`, [`id`, `id2`]).
fn openapi_path(template: &str) -> (String, Vec<String>) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut names = Vec::new();
    let mut out = String::with_capacity(template.len() + 4);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let base = &rest[open + 1..open + close];
        let n = counts.entry(base.to_string()).or_insert(0);
        *n += 1;
        let name = if *n == 1 {
            base.to_string()
        } else {
            format!("{base}{n}")
        };
        out.push('{');
        out.push_str(&name);
        out.push('}');
        names.push(name);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    (out, names)
}

fn scheme_name(s: AuthScheme) -> Option<&'static str> {
    match s {
        AuthScheme::None => None,
        AuthScheme::Basic => Some("basicAuth"),
        AuthScheme::Bearer => Some("bearerAuth"),
        AuthScheme::ApiKey => Some("apiKeyAuth"),
        AuthScheme::Mtls => Some("mutualTLS"),
        AuthScheme::Session => Some("sessionCookie"),
    }
}

fn scheme_definition(s: AuthScheme) -> Value {
    match s {
        AuthScheme::Basic => json!({"type": "http", "scheme": "basic"}),
        AuthScheme::Bearer => json!({"type": "http", "scheme": "bearer"}),
        AuthScheme::ApiKey => json!({"type": "apiKey", "in": "header", "name": "X-API-Key"}),
        AuthScheme::Mtls => json!({"type": "mutualTLS"}),
        AuthScheme::Session | AuthScheme::None => {
            json!({"type": "apiKey", "in": "cookie", "name": "session"})
        }
    }
}

fn operation_id(method: &str, path: &str, used: &mut HashSet<String>) -> String {
    let mut id = method.to_string();
    let mut last_us = false;
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            if last_us || id.len() == method.len() {
                id.push('_');
            }
            id.push(c);
            last_us = false;
        } else {
            last_us = true;
        }
    }
    let mut unique = id.clone();
    let mut n = 2;
    while !used.insert(unique.clone()) {
        unique = format!("{id}_{n}");
        n += 1;
    }
    unique
}

fn operation(
    method: &str,
    path: &str,
    path_params: &[String],
    group: &[&EndpointSummary],
    used_ids: &mut HashSet<String>,
    schemes: &mut BTreeSet<AuthScheme>,
) -> Value {
    let calls: u64 = group.iter().map(|e| e.calls).sum();
    let hosts: BTreeSet<&str> = group
        .iter()
        .map(|e| e.host.as_str())
        .filter(|h| !h.is_empty())
        .collect();
    let query: BTreeSet<&str> = group
        .iter()
        .flat_map(|e| e.query_params.iter().map(String::as_str))
        .collect();
    let body: BTreeSet<&str> = group
        .iter()
        .flat_map(|e| e.body_params.iter().map(String::as_str))
        .collect();
    let mut codes: BTreeMap<u16, u64> = BTreeMap::new();
    for e in group {
        for (c, n) in &e.status.codes {
            if (100..=599).contains(c) {
                *codes.entry(*c).or_default() += n;
            }
        }
    }
    let auth = group
        .iter()
        .fold(AuthSchemes::default(), |a, e| a.union(e.auth));
    let sensitive: BTreeSet<&str> = group
        .iter()
        .flat_map(|e| e.sensitive.iter().map(|k| k.name()))
        .collect();
    let first_seen = group.iter().filter_map(|e| e.first_seen).min();
    let last_seen = group.iter().filter_map(|e| e.last_seen).max();
    // The group is sorted by calls, so the first classification is the
    // busiest endpoint's.
    let classification = group
        .first()
        .map_or(Classification::Unclassified, |e| e.classification);
    let spec_path = group.iter().find_map(|e| e.spec_path.as_deref());

    let mut params: Vec<Value> = path_params
        .iter()
        .map(|n| json!({"name": n, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    params.extend(query.iter().map(
        |n| json!({"name": n, "in": "query", "required": false, "schema": {"type": "string"}}),
    ));

    let mut responses = Map::new();
    for (c, n) in &codes {
        let times = if *n == 1 { "time" } else { "times" };
        responses.insert(
            c.to_string(),
            json!({"description": format!("Observed {n} {times}")}),
        );
    }
    if responses.is_empty() {
        responses.insert(
            "default".to_string(),
            json!({"description": "No response status observed"}),
        );
    }

    let mut op = Map::new();
    op.insert(
        "operationId".into(),
        json!(operation_id(method, path, used_ids)),
    );
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if !body.is_empty() {
        let props: Map<String, Value> = body.iter().map(|k| (k.to_string(), json!({}))).collect();
        op.insert(
            "requestBody".into(),
            json!({"content": {"application/json": {"schema": {"type": "object", "properties": props}}}}),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    if group
        .iter()
        .any(|e| e.classification == Classification::Zombie)
    {
        op.insert("deprecated".into(), json!(true));
    }
    if !auth.is_empty() {
        let mut reqs: Vec<Value> = Vec::new();
        for s in auth.iter() {
            match scheme_name(s) {
                Some(name) => {
                    schemes.insert(s);
                    reqs.push(json!({ name: [] }));
                }
                None => reqs.push(json!({})),
            }
        }
        op.insert("security".into(), Value::Array(reqs));
    }
    op.insert("x-linkwell-calls".into(), json!(calls));
    let ts = |t: Option<Timestamp>| t.map(|t| t.to_string());
    if let Some(t) = ts(first_seen) {
        op.insert("x-linkwell-first-seen".into(), json!(t));
    }
    if let Some(t) = ts(last_seen) {
        op.insert("x-linkwell-last-seen".into(), json!(t));
    }
    op.insert(
        "x-linkwell-classification".into(),
        json!(classification.name()),
    );
    op.insert(
        "x-linkwell-auth".into(),
        json!(auth.iter().map(AuthScheme::name).collect::<Vec<_>>()),
    );
    op.insert("x-linkwell-hosts".into(), json!(hosts));
    if !sensitive.is_empty() {
        op.insert("x-linkwell-sensitive".into(), json!(sensitive));
    }
    if let Some(p) = spec_path {
        op.insert("x-linkwell-spec-path".into(), json!(p));
    }
    Value::Object(op)
}

/// The observed endpoints as an OpenAPI 3.1 document (see the module docs).
/// Unused spec operations, `/{overflow}` buckets and methods OpenAPI cannot
/// express are left out.
pub fn export(endpoints: &[EndpointSummary], title: &str) -> Value {
    // shape -> method -> endpoints (busiest first).
    let mut groups: BTreeMap<String, BTreeMap<&'static str, Vec<&EndpointSummary>>> =
        BTreeMap::new();
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    for e in endpoints {
        if e.calls == 0 || e.template.strip_prefix('/') == Some(OVERFLOW) {
            continue;
        }
        let Some(method) = METHODS
            .into_iter()
            .find(|m| m.eq_ignore_ascii_case(&e.method))
        else {
            continue;
        };
        let key = shape(&e.template);
        let name = names.entry(key.clone()).or_insert(e.template.as_str());
        if e.template.as_str() < *name {
            *name = e.template.as_str();
        }
        groups
            .entry(key)
            .or_default()
            .entry(method)
            .or_default()
            .push(e);
        if !e.host.is_empty() && e.host != "*" {
            hosts.insert(e.host.as_str());
        }
    }
    let mut used_ids = HashSet::new();
    let mut schemes = BTreeSet::new();
    let mut paths = Map::new();
    for (key, methods) in &groups {
        let template = names.get(key).copied().unwrap_or(key.as_str());
        let (path, params) = openapi_path(template);
        let mut item = Map::new();
        for (method, group) in methods {
            let mut group = group.clone();
            group.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.key().cmp(&b.key())));
            item.insert(
                (*method).to_string(),
                operation(method, &path, &params, &group, &mut used_ids, &mut schemes),
            );
        }
        paths.insert(path, Value::Object(item));
    }
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.1.0"));
    doc.insert(
        "info".into(),
        json!({
            "title": title,
            "version": "observed",
            "description": "Generated by Linkwell from observed traffic. x-linkwell-* fields carry what was observed.",
        }),
    );
    if !hosts.is_empty() {
        let servers: Vec<Value> = hosts
            .iter()
            .map(|h| {
                let url = if h.contains(':') && !h.starts_with('[') {
                    format!("https://[{h}]")
                } else {
                    format!("https://{h}")
                };
                json!({ "url": url })
            })
            .collect();
        doc.insert("servers".into(), Value::Array(servers));
    }
    doc.insert("paths".into(), Value::Object(paths));
    if !schemes.is_empty() {
        let defs: Map<String, Value> = schemes
            .iter()
            .filter_map(|s| scheme_name(*s).map(|n| (n.to_string(), scheme_definition(*s))))
            .collect();
        doc.insert("components".into(), json!({ "securitySchemes": defs }));
    }
    doc.insert(
        "x-linkwell-endpoints".into(),
        json!(groups.values().map(BTreeMap::len).sum::<usize>()),
    );
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_names_are_unique() {
        assert_eq!(
            openapi_path("/v1/users/{id}/cards/{id}"),
            (
                "/v1/users/{id}/cards/{id2}".to_string(),
                vec!["id".to_string(), "id2".to_string()]
            )
        );
        assert_eq!(openapi_path("/a/{id}.json").0, "/a/{id}.json");
        assert_eq!(shape("/a/{id}/b/{param}"), shape("/a/{email}/b/{id}"));
        let mut used = HashSet::new();
        assert_eq!(
            operation_id("get", "/v1/users/{id}", &mut used),
            "get_v1_users_id"
        );
        assert_eq!(
            operation_id("get", "/v1/users/{id}", &mut used),
            "get_v1_users_id_2"
        );
    }
}
