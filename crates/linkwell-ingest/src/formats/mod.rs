//! One module per log format; each exposes `parse(line) -> CallRecord`.
//! Formats fill fields only; `format` and `auth` are set by the caller.

pub(crate) mod aws_apigw;
pub(crate) mod cloudflare;
pub(crate) mod envoy;
pub(crate) mod envoy_json;
pub(crate) mod kong;
pub(crate) mod ndjson;
pub(crate) mod nginx_combined;
pub(crate) mod nginx_json;
pub(crate) mod traefik;
