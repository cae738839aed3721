//! The `[ingest]` table of `linkwell.toml`.
//!
//! Only two things are worth configuring: how much memory a single hostile
//! line may cost, and where the generic `ndjson` format finds each field in
//! logs whose shape we cannot know in advance.

use serde::Deserialize;

/// Settings for reading and parsing inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Lines longer than this are rejected (counted and located), never
    /// buffered whole, so one runaway line cannot exhaust memory. Default 1 MiB.
    pub max_line_bytes: usize,
    /// Field mapping for the generic `ndjson` format.
    pub ndjson: FieldMap,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_line_bytes: 1 << 20,
            ndjson: FieldMap::default(),
        }
    }
}

/// Where the generic `ndjson` format finds each [`CallRecord`] field.
///
/// Each entry names the JSON key; a dotted path (`req.headers.host`) walks
/// into nested objects (a key that itself contains dots is matched first),
/// and `a|b` lists alternatives tried in order. `None` means "the usual
/// names" (listed on each field), which is what makes detection of an
/// unconfigured file possible. An empty string disables the field.
///
/// [`CallRecord`]: linkwell_core::CallRecord
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldMap {
    /// Default: `time|timestamp|ts|@timestamp|start_time|datetime|date`.
    pub time: Option<String>,
    /// How to read `time`; `auto` accepts RFC 3339, CLF and epoch numbers
    /// whose unit is guessed from their magnitude.
    pub time_format: TimeFormat,
    /// Peer address, with or without a port. Default:
    /// `client_ip|ip|remote_addr|client|src_ip|source_ip|remote_ip|clientip`.
    pub client_ip: Option<String>,
    /// Default: `x_forwarded_for|xff|forwarded_for`.
    pub forwarded_for: Option<String>,
    /// Default: `method|http_method|request_method|verb`.
    pub method: Option<String>,
    /// Default: `host|hostname|authority|server_name|domain`.
    pub host: Option<String>,
    /// The path, the path with its query, or a full URL. Default:
    /// `path|uri|url|request_uri|target|request_path`.
    pub path: Option<String>,
    /// Used only when the path carries no query. Default:
    /// `query|query_string|querystring|args`.
    pub query: Option<String>,
    /// Default: `protocol|proto|http_version`.
    pub protocol: Option<String>,
    /// Default: `status|status_code|response_code|code|statuscode`.
    pub status: Option<String>,
    /// Default: `user_agent|ua|useragent|http_user_agent`.
    pub user_agent: Option<String>,
    /// Default: `referer|referrer|http_referer`.
    pub referer: Option<String>,
    /// The key holding the request's duration, in [`latency_unit`](Self::latency_unit).
    /// When unset, well-known names with their own units are tried:
    /// `latency_ms`, `duration_ms`, `response_time_ms`, `elapsed_ms` (ms),
    /// `request_time` (s), `latency`, `duration` (ms).
    pub latency: Option<String>,
    /// Unit of `latency` when it is set explicitly.
    pub latency_unit: LatencyUnit,
    /// Default: `request_bytes|bytes_in|request_length|request_size|req_bytes`.
    pub request_bytes: Option<String>,
    /// Default: `response_bytes|bytes_out|body_bytes_sent|bytes_sent|response_size|resp_bytes|size`.
    pub response_bytes: Option<String>,
    /// Verified caller (token subject, authenticated user). Default:
    /// `subject|sub|user_id|principal`.
    pub subject: Option<String>,
    /// Default: `client_id|azp`.
    pub client_id: Option<String>,
    /// Default: `consumer|consumer_name`.
    pub consumer: Option<String>,
    /// Default: `api_key_id|apikey_id|key_id`.
    pub api_key_id: Option<String>,
    /// ISO 3166 alpha-2. Default: `country|country_code|geo_country`.
    pub country: Option<String>,
    /// Default: `asn|client_asn`.
    pub asn: Option<String>,
    /// Default: `request_id|requestid|req_id|x_request_id|trace_id`.
    pub request_id: Option<String>,
    /// An object of request headers. Default: `headers|request_headers`.
    pub headers: Option<String>,
}

/// How the `ndjson` time field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    #[default]
    Auto,
    Rfc3339,
    Clf,
    EpochS,
    EpochMs,
    EpochUs,
    EpochNs,
}

/// Unit of a duration field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyUnit {
    S,
    #[default]
    Ms,
    Us,
    Ns,
}

impl LatencyUnit {
    /// Decimal digits that convert this unit to microseconds (negative: divide).
    pub(crate) fn micros_exponent(self) -> i32 {
        match self {
            LatencyUnit::S => 6,
            LatencyUnit::Ms => 3,
            LatencyUnit::Us => 0,
            LatencyUnit::Ns => -3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserializes_from_json_with_defaults() {
        let cfg: IngestConfig = serde_json::from_str(
            r#"{"max_line_bytes": 4096, "ndjson": {"time": "event.ts", "latency": "took", "latency_unit": "us", "time_format": "epoch_ms"}}"#,
        )
        .unwrap();
        assert_eq!(cfg.max_line_bytes, 4096);
        assert_eq!(cfg.ndjson.time.as_deref(), Some("event.ts"));
        assert_eq!(cfg.ndjson.latency_unit, LatencyUnit::Us);
        assert_eq!(cfg.ndjson.time_format, TimeFormat::EpochMs);
        assert_eq!(cfg.ndjson.method, None);
        let d: IngestConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(d.max_line_bytes, 1 << 20);
    }

    #[test]
    fn rejects_unknown_keys() {
        assert!(serde_json::from_str::<IngestConfig>(r#"{"max_line": 1}"#).is_err());
        assert!(serde_json::from_str::<IngestConfig>(r#"{"ndjson": {"tme": "x"}}"#).is_err());
    }
}
