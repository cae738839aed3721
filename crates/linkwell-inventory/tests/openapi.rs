//! OpenAPI loading, classification and export.

mod common;

use common::{call, find, names};
use linkwell_core::{AuthScheme, Classification, EndpointSummary};
use linkwell_inventory::openapi::{self, OpenApiError};
use linkwell_inventory::{Inventory, InventoryConfig};

const BANK_30_YAML: &str = r#"
openapi: 3.0.3
info:
  title: Bank API
  version: "2.4"
servers:
  - url: https://api.example.com/v1
security:
  - bearerAuth: []
paths:
  /accounts:
    get:
      operationId: listAccounts
      parameters:
        - $ref: '#/components/parameters/Limit'
      responses:
        200: {description: ok}
  /accounts/{accountId}:
    parameters:
      - name: accountId
        in: path
        required: true
        schema: {type: string}
    get:
      operationId: getAccount
      responses:
        '200': {description: ok}
  /accounts/{accountId}/transactions:
    get:
      deprecated: true
      responses:
        '200': {description: ok}
  /accounts/me:
    get:
      responses:
        '200': {description: ok}
  /payments:
    post:
      security: []
      responses:
        '201': {description: created}
  /statements/{statementId}.pdf:
    get:
      responses:
        '200': {description: ok}
  /statements:
    get:
      responses:
        '200': {description: ok}
components:
  parameters:
    Limit:
      name: limit
      in: query
      schema: {type: integer}
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
"#;

const LEGACY_31_JSON: &str = r#"{
  "openapi": "3.1.0",
  "info": {"title": "Legacy", "version": "0.9"},
  "servers": [{"url": "https://legacy.example.com"}],
  "paths": {
    "/v0/accounts/{id}": {"get": {"deprecated": true, "responses": {"200": {"description": "ok"}}}},
    "/v0/health": {"get": {"responses": {"200": {"description": "ok"}}}}
  }
}"#;

fn observed() -> Vec<EndpointSummary> {
    let mut inv = Inventory::new(InventoryConfig::default());
    let api = "api.example.com";
    for (m, host, path) in [
        ("GET", api, "/v1/accounts"),
        ("GET", api, "/v1/accounts/123"),
        ("GET", api, "/v1/accounts/me"),
        ("GET", api, "/v1/accounts/123/transactions"),
        ("POST", api, "/v1/payments"),
        ("GET", api, "/v1/statements/2026-03.pdf"),
        ("GET", api, "/v1/internal/debug/config"),
        ("DELETE", api, "/v1/accounts/123"),
        ("GET", "10.1.2.3:8080", "/v1/accounts/5"),
        ("GET", "legacy.example.com", "/v0/accounts/7"),
    ] {
        inv.observe(&call(m, host, path, 200));
    }
    inv.finish()
}

fn class_of(
    eps: &[EndpointSummary],
    method: &str,
    host: &str,
    template: &str,
) -> (Classification, Option<String>) {
    let e = eps
        .iter()
        .find(|e| e.method == method && e.host == host && e.template == template)
        .unwrap_or_else(|| panic!("{method} {host}{template} missing"));
    (e.classification, e.spec_path.clone())
}

#[test]
fn loads_30_yaml_and_31_json() {
    let a = openapi::load(BANK_30_YAML).unwrap();
    assert_eq!(
        (a.title.as_str(), a.version.as_str(), a.openapi.as_str()),
        ("Bank API", "2.4", "3.0.3")
    );
    assert_eq!(a.servers[0].host.as_deref(), Some("api.example.com"));
    assert_eq!(a.servers[0].base_path, "/v1");
    assert_eq!(a.operations.len(), 7);
    let get_account = a
        .operations
        .iter()
        .find(|o| o.operation_id.as_deref() == Some("getAccount"))
        .unwrap();
    assert_eq!(get_account.method, "GET");
    assert_eq!(get_account.path, "/accounts/{accountId}");
    assert!(get_account.security);
    assert_eq!(get_account.parameters[0].name, "accountId");
    let list = a
        .operations
        .iter()
        .find(|o| o.operation_id.as_deref() == Some("listAccounts"))
        .unwrap();
    assert_eq!(
        list.parameters[0].name, "limit",
        "$ref parameters are resolved"
    );
    let payments = a.operations.iter().find(|o| o.path == "/payments").unwrap();
    assert!(!payments.security, "security: [] means anonymous");
    assert!(
        a.operations
            .iter()
            .any(|o| o.deprecated && o.path.ends_with("/transactions"))
    );

    let b = openapi::load(LEGACY_31_JSON).unwrap();
    assert_eq!(b.openapi, "3.1.0");
    assert_eq!(b.operations.len(), 2);
    assert!(
        b.operations
            .iter()
            .all(|o| o.servers[0].host.as_deref() == Some("legacy.example.com"))
    );
}

#[test]
fn classification_with_two_specs() {
    let specs = [
        openapi::load(BANK_30_YAML).unwrap(),
        openapi::load(LEGACY_31_JSON).unwrap(),
    ];
    let mut eps = observed();
    let observed_len = eps.len();
    openapi::classify(&mut eps, &specs);
    let api = "api.example.com";
    use Classification::*;
    assert_eq!(
        class_of(&eps, "GET", api, "/v1/accounts"),
        (Documented, Some("/accounts".into()))
    );
    assert_eq!(
        class_of(&eps, "GET", api, "/v1/accounts/{id}"),
        (Documented, Some("/accounts/{accountId}".into()))
    );
    // The most specific operation wins over `{accountId}`.
    assert_eq!(
        class_of(&eps, "GET", api, "/v1/accounts/me"),
        (Documented, Some("/accounts/me".into()))
    );
    assert_eq!(
        class_of(&eps, "GET", api, "/v1/accounts/{id}/transactions"),
        (Zombie, Some("/accounts/{accountId}/transactions".into()))
    );
    assert_eq!(class_of(&eps, "POST", api, "/v1/payments").0, Documented);
    assert_eq!(
        class_of(&eps, "GET", api, "/v1/statements/{date}.pdf"),
        (Documented, Some("/statements/{statementId}.pdf".into()))
    );
    assert_eq!(
        class_of(&eps, "GET", api, "/v1/internal/debug/config"),
        (Shadow, None)
    );
    // Same path, method not documented.
    assert_eq!(class_of(&eps, "DELETE", api, "/v1/accounts/{id}").0, Shadow);
    // An internal host serving the documented path still counts.
    assert_eq!(
        class_of(&eps, "GET", "10.1.2.3:8080", "/v1/accounts/{id}").0,
        Documented
    );
    assert_eq!(
        class_of(&eps, "GET", "legacy.example.com", "/v0/accounts/{id}").0,
        Zombie
    );

    let unused: Vec<(String, String, String)> = eps[observed_len..]
        .iter()
        .map(|e| {
            assert_eq!((e.classification, e.calls), (Unused, 0));
            (e.method.clone(), e.host.clone(), e.template.clone())
        })
        .collect();
    assert_eq!(
        unused,
        [
            (
                "GET".into(),
                "api.example.com".into(),
                "/v1/statements".into()
            ),
            (
                "GET".into(),
                "legacy.example.com".into(),
                "/v0/health".into()
            ),
        ]
    );
    // Classifying again does not duplicate the unused rows.
    openapi::classify(&mut eps, &specs);
    assert_eq!(eps.len(), observed_len + 2);
}

#[test]
fn no_specs_leaves_everything_unclassified() {
    let mut eps = observed();
    let before = eps.clone();
    openapi::classify(&mut eps, &[]);
    assert_eq!(eps, before);
    assert!(
        eps.iter()
            .all(|e| e.classification == Classification::Unclassified)
    );
}

#[test]
fn host_match_is_preferred() {
    let a = openapi::load(
        r#"{"openapi":"3.1.0","info":{"title":"a","version":"1"},
            "servers":[{"url":"https://a.example.com"}],
            "paths":{"/health":{"get":{"deprecated":true}}}}"#,
    )
    .unwrap();
    let b = openapi::load(
        "openapi: '3.0.0'\ninfo: {title: b, version: '1'}\nservers: [{url: 'https://b.example.com'}]\npaths:\n  /health:\n    get: {}\n",
    )
    .unwrap();
    let mut inv = Inventory::new(InventoryConfig::default());
    inv.observe(&call("GET", "b.example.com", "/health", 200));
    inv.observe(&call("GET", "a.example.com", "/health", 200));
    let mut eps = inv.finish();
    openapi::classify(&mut eps, &[a, b]);
    assert_eq!(
        class_of(&eps, "GET", "a.example.com", "/health").0,
        Classification::Zombie
    );
    assert_eq!(
        class_of(&eps, "GET", "b.example.com", "/health").0,
        Classification::Documented
    );
}

#[test]
fn rejects_what_it_cannot_read_with_clear_errors() {
    let swagger = "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n";
    let err = openapi::load(swagger).unwrap_err();
    assert!(matches!(err, OpenApiError::Swagger2(_)));
    assert!(
        err.to_string()
            .starts_with("Swagger 2.0 is not supported; convert to OpenAPI 3"),
        "{err}"
    );
    let err = openapi::load(r#"{"swagger": "2.0", "paths": {}}"#).unwrap_err();
    assert!(err.to_string().contains("Swagger 2.0 is not supported"));

    assert!(matches!(openapi::load("  \n"), Err(OpenApiError::Empty)));
    assert!(matches!(
        openapi::load("{\"openapi\": "),
        Err(OpenApiError::Json(_))
    ));
    assert!(matches!(
        openapi::load("a: [b\n c: :"),
        Err(OpenApiError::Yaml(_))
    ));
    assert!(matches!(
        openapi::load("- just\n- a list\n"),
        Err(OpenApiError::NotOpenApi(_))
    ));
    assert!(matches!(
        openapi::load("title: not a spec\n"),
        Err(OpenApiError::NotOpenApi(_))
    ));
    let err = openapi::load("openapi: 4.0.0\npaths: {}\n").unwrap_err();
    assert!(
        matches!(err, OpenApiError::UnsupportedVersion(ref v) if v == "4.0.0"),
        "{err}"
    );
    let err = openapi::load("openapi: 3.0.0\ninfo: {title: x, version: '1'}\n").unwrap_err();
    assert!(matches!(err, OpenApiError::MissingPaths));
    assert!(err.to_string().contains("paths"));
    // An unquoted YAML version is a number; it is still understood.
    assert!(openapi::load("openapi: 3.0\npaths: {}\n").is_ok());

    let missing = std::path::Path::new("/nonexistent/spec.yaml");
    let err = openapi::load_file(missing).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/spec.yaml"), "{err}");
}

#[test]
fn export_round_trips_to_documented() {
    let mut inv = Inventory::new(InventoryConfig::default());
    for u in names(50) {
        let mut c = call(
            "GET",
            "api.example.com",
            &format!("/v1/users/{u}/cards/4711?expand=limits"),
            200,
        );
        c.auth.insert(AuthScheme::Bearer);
        inv.observe(&c);
    }
    for (m, h, p, s) in [
        ("POST", "api.example.com", "/v1/payments", 201),
        (
            "GET",
            "api.example.com",
            "/v1/accounts/1/transactions/2",
            200,
        ),
        ("GET", "api.example.com", "/v1/accounts/1.json", 200),
        (
            "GET",
            "api-internal:8080",
            "/v1/accounts/1/transactions/3",
            200,
        ),
        ("GET", "", "/", 200),
        ("GET", "api.example.com", "/v1/users/alice@example.com", 403),
        ("GET", "api.example.com", "/v1/users/{weird}", 200),
        ("PROPFIND", "api.example.com", "/dav", 207),
        ("GET", "[2001:db8::1]", "/v1/ping", 200),
    ] {
        inv.observe(&call(m, h, p, s));
    }
    let eps = inv.finish();
    let doc = openapi::export(&eps, "Observed");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Observed");
    let paths = doc["paths"].as_object().unwrap();
    let op = &paths["/v1/users/{param}/cards/{id}"]["get"];
    assert_eq!(op["x-linkwell-calls"], 50);
    assert_eq!(op["x-linkwell-classification"], "unclassified");
    assert_eq!(op["x-linkwell-auth"], serde_json::json!(["bearer"]));
    assert_eq!(op["security"], serde_json::json!([{"bearerAuth": []}]));
    assert_eq!(op["responses"]["200"]["description"], "Observed 50 times");
    let params: Vec<(&str, &str)> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
        .collect();
    assert_eq!(
        params,
        [("param", "path"), ("id", "path"), ("expand", "query")]
    );
    // Two placeholders of one kind get distinct names; hosts are merged.
    let tx = &paths["/v1/accounts/{id}/transactions/{id2}"]["get"];
    assert_eq!(tx["x-linkwell-calls"], 2);
    assert_eq!(
        tx["x-linkwell-hosts"],
        serde_json::json!(["api-internal:8080", "api.example.com"])
    );
    assert!(paths.contains_key("/v1/accounts/{id}.json"));
    assert!(paths.contains_key("/"));
    assert!(!paths.values().any(|p| p.get("propfind").is_some()));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    let servers: Vec<&str> = doc["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["url"].as_str().unwrap())
        .collect();
    assert!(servers.contains(&"https://[2001:db8::1]"), "{servers:?}");

    // Deterministic.
    assert_eq!(doc, openapi::export(&eps, "Observed"));
    let text = serde_json::to_string_pretty(&doc).unwrap();
    assert_eq!(
        text,
        serde_json::to_string_pretty(&openapi::export(&eps, "Observed")).unwrap()
    );

    // Round trip: the export, loaded as a spec, documents every endpoint.
    let spec = openapi::load(&text).unwrap();
    let mut again = eps;
    openapi::classify(&mut again, &[spec]);
    let not_documented: Vec<String> = again
        .iter()
        .filter(|e| e.method != "PROPFIND" && e.classification != Classification::Documented)
        .map(|e| {
            format!(
                "{} {} {} {:?}",
                e.method, e.host, e.template, e.classification
            )
        })
        .collect();
    assert!(not_documented.is_empty(), "{not_documented:#?}");
    assert_eq!(
        find(&again, "PROPFIND", "/dav").unwrap().classification,
        Classification::Shadow
    );
}

#[test]
fn zombies_export_as_deprecated() {
    let specs = [openapi::load(LEGACY_31_JSON).unwrap()];
    let mut inv = Inventory::new(InventoryConfig::default());
    inv.observe(&call("GET", "legacy.example.com", "/v0/accounts/7", 200));
    let mut eps = inv.finish();
    openapi::classify(&mut eps, &specs);
    let doc = openapi::export(&eps, "t");
    let op = &doc["paths"]["/v0/accounts/{id}"]["get"];
    assert_eq!(op["deprecated"], true);
    assert_eq!(op["x-linkwell-classification"], "zombie");
    assert_eq!(op["x-linkwell-spec-path"], "/v0/accounts/{id}");
    // The unused operation is not exported: it was not observed.
    assert!(doc["paths"].get("/v0/health").is_none());
}
