//! Reading OpenAPI 3.0 / 3.1 documents (YAML or JSON) into [`Spec`].
//!
//! Both versions are read from a generic JSON value: the parts the
//! inventory uses (paths, methods, servers, `deprecated`, `security`,
//! parameters) did not change between 3.0 and 3.1. YAML is converted to the
//! same value so there is one reader.

use std::path::Path;

use serde_json::{Map, Value};

use super::{OpenApiError, Operation, Parameter, Server, Spec};
use crate::host::normalize_host;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// `$ref` hops followed before giving up (cycles).
const MAX_REF_HOPS: usize = 8;

/// Parses an OpenAPI 3.x document, YAML or JSON (detected from the text).
pub fn load(text: &str) -> Result<Spec, OpenApiError> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Err(OpenApiError::Empty);
    }
    let doc: Value = if t.starts_with('{') {
        serde_json::from_str(t)?
    } else {
        yaml_to_json(yaml_serde::from_str::<yaml_serde::Value>(t)?)
    };
    from_value(&doc)
}

/// [`load`] on a file.
pub fn load_file(path: &Path) -> Result<Spec, OpenApiError> {
    let text = std::fs::read_to_string(path).map_err(|source| OpenApiError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load(&text)
}

fn yaml_to_json(v: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    // Complex keys do not occur in OpenAPI documents.
                    _ => continue,
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// A scalar as text (`openapi: 3.0` in YAML is a number).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Follows local `$ref`s (`#/components/...`); other refs are left as is.
fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_HOPS {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        match r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
            Some(target) => v = target,
            None => return v,
        }
    }
    v
}

fn from_value(doc: &Value) -> Result<Spec, OpenApiError> {
    let root = doc
        .as_object()
        .ok_or_else(|| OpenApiError::NotOpenApi("the top level is not a mapping".to_string()))?;
    if let Some(v) = root.get("swagger") {
        return Err(OpenApiError::Swagger2(scalar(v)));
    }
    let openapi = match root.get("openapi") {
        Some(v) => scalar(v),
        None => {
            return Err(OpenApiError::NotOpenApi(
                "it has no `openapi` version field".to_string(),
            ));
        }
    };
    if !openapi.starts_with("3.") {
        return Err(OpenApiError::UnsupportedVersion(openapi));
    }
    let info = root.get("info");
    let text = |k: &str| info.and_then(|i| i.get(k)).map(scalar).unwrap_or_default();
    let doc_servers = servers(root.get("servers")).unwrap_or_default();
    let security = root.get("security");
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or(OpenApiError::MissingPaths)?;

    let mut operations = Vec::new();
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        if !path.starts_with('/') {
            return Err(OpenApiError::Invalid(format!(
                "path `{path}` does not start with `/`"
            )));
        }
        let item = deref(doc, item);
        let Some(item) = item.as_object() else {
            continue;
        };
        let path_params = parameters(doc, item.get("parameters"));
        let path_servers = servers(item.get("servers"));
        for method in METHODS {
            let Some(op) = item.get(method).and_then(Value::as_object) else {
                continue;
            };
            let mut params = path_params.clone();
            for p in parameters(doc, op.get("parameters")) {
                params.retain(|q| !(q.name == p.name && q.location == p.location));
                params.push(p);
            }
            operations.push(Operation {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
                operation_id: op.get("operationId").map(scalar),
                security: has_security(op.get("security").or(security)),
                parameters: params,
                servers: servers(op.get("servers"))
                    .or_else(|| path_servers.clone())
                    .unwrap_or_else(|| doc_servers.clone()),
            });
        }
    }
    Ok(Spec {
        title: text("title"),
        version: text("version"),
        openapi,
        servers: doc_servers,
        operations,
    })
}

/// A non-empty requirement means credentials are expected; `[]` and `[{}]`
/// mean anonymous access.
fn has_security(v: Option<&Value>) -> bool {
    v.and_then(Value::as_array).is_some_and(|a| {
        a.iter()
            .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
    })
}

fn parameters(doc: &Value, v: Option<&Value>) -> Vec<Parameter> {
    let Some(list) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            let p = deref(doc, p);
            Some(Parameter {
                name: p.get("name")?.as_str()?.to_string(),
                location: p.get("in")?.as_str()?.to_string(),
                required: p.get("required").and_then(Value::as_bool) == Some(true),
            })
        })
        .collect()
}

/// None when absent or empty (so the enclosing level's servers apply).
fn servers(v: Option<&Value>) -> Option<Vec<Server>> {
    let list: Vec<Server> = v?.as_array()?.iter().filter_map(server).collect();
    (!list.is_empty()).then_some(list)
}

fn server(v: &Value) -> Option<Server> {
    let raw = v.get("url")?.as_str()?;
    let url = substitute_variables(raw, v.get("variables"));
    let (host, path) = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let h = normalize_host(authority);
            ((!h.is_empty()).then_some(h), path)
        }
        None => (None, url.as_str()),
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let base: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let base_path = if base.is_empty() {
        String::new()
    } else {
        format!("/{}", base.join("/"))
    };
    Some(Server {
        url,
        host,
        base_path,
    })
}

/// `https://{env}.example.com/{basePath}` with each variable's default.
fn substitute_variables(url: &str, vars: Option<&Value>) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        match vars
            .and_then(|v| v.get(name))
            .and_then(|v| v.get("default"))
            .map(scalar)
        {
            Some(d) => out.push_str(&d),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        let s = |v: Value| server(&v).unwrap();
        let a = s(serde_json::json!({"url": "https://API.example.com:443/v1/"}));
        assert_eq!(a.host.as_deref(), Some("api.example.com"));
        assert_eq!(a.base_path, "/v1");
        let b = s(serde_json::json!({"url": "/v2"}));
        assert_eq!((b.host, b.base_path.as_str()), (None, "/v2"));
        let c = s(serde_json::json!({
            "url": "https://{env}.example.com/{base}",
            "variables": {"env": {"default": "sandbox"}, "base": {"default": "api"}}
        }));
        assert_eq!(c.host.as_deref(), Some("sandbox.example.com"));
        assert_eq!(c.base_path, "/api");
        let d = s(serde_json::json!({"url": "https://example.com"}));
        assert_eq!(d.base_path, "");
    }
}
