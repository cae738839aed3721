//! Gateway and proxy access logs in, [`CallRecord`]s out.
//!
//! Linkwell judges calls, not log lines; every source a user already has
//! (NGINX, Envoy/Istio, AWS API Gateway, Cloudflare Logpush, Kong, Traefik,
//! HAR exports, or any NDJSON with a field map) has to become the same
//! normalised record before the engine can compare a client's behaviour
//! across them. This crate is that boundary, and it is shaped by two facts:
//!
//! * **Input is hostile.** Log lines carry attacker-chosen paths, headers and
//!   user names. Nothing here may panic, allocate without bound, or let a
//!   crafted line pass as a different call; every rejection is a
//!   [`ParseError`] that says what was wrong.
//! * **Volume is high.** A scan must reach half a million lines a second on a
//!   small machine, so parsers borrow from the line (`CallRecord<'a>`),
//!   allocate only to unescape, and use no regexes.
//!
//! Parsing is per line ([`parse_line`]) except for HAR ([`har::parse_har`]),
//! which is one document. [`detect`] names the format of an unknown file, and
//! [`reader`] turns files, gzip and stdin into bounded lines.

#![forbid(unsafe_code)]

mod config;
mod detect;
mod error;
mod fields;
mod flat;
mod formats;
pub mod har;
mod json;
pub mod reader;
mod text;

use std::borrow::Cow;

pub use config::{FieldMap, IngestConfig, LatencyUnit, TimeFormat};
pub use detect::{Detection, detect};
pub use error::{MAX_EXCERPT, ParseError};
pub use linkwell_core::SourceFormat;

use linkwell_core::CallRecord;

/// Parses one line of a line-based format into a record borrowing from it.
///
/// The record's `source` is left for the caller to fill. Never panics, on
/// any input.
pub fn parse_line<'a>(
    format: SourceFormat,
    line: &'a str,
    cfg: &IngestConfig,
) -> Result<CallRecord<'a>, ParseError> {
    if line.len() > cfg.max_line_bytes {
        return Err(ParseError::TooLong { len: line.len() });
    }
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let line = fields::trim(line);
    if line.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut rec = match format {
        SourceFormat::NginxCombined => formats::nginx_combined::parse(line)?,
        SourceFormat::NginxJson => formats::nginx_json::parse(line)?,
        SourceFormat::Envoy => formats::envoy::parse(line)?,
        SourceFormat::EnvoyJson => formats::envoy_json::parse(line)?,
        SourceFormat::AwsApigw => formats::aws_apigw::parse(line)?,
        SourceFormat::Cloudflare => formats::cloudflare::parse(line)?,
        SourceFormat::Kong => formats::kong::parse(line)?,
        SourceFormat::Traefik => formats::traefik::parse(line)?,
        SourceFormat::Ndjson => formats::ndjson::parse(line, &cfg.ndjson)?,
        SourceFormat::Har => {
            return Err(ParseError::WrongShape(
                "HAR is a whole document, not a line format (use har::parse_har)",
            ));
        }
        SourceFormat::Live => {
            return Err(ParseError::WrongShape(
                "live calls do not come from log lines",
            ));
        }
    };
    rec.format = Some(format);
    rec.infer_auth();
    Ok(rec)
}

/// [`parse_line`] for raw bytes. Valid UTF-8 is parsed in place; otherwise
/// the line is converted lossily (U+FFFD) and the record detached from that
/// temporary copy, so only broken lines pay for an allocation.
pub fn parse_bytes<'a>(
    format: SourceFormat,
    bytes: &'a [u8],
    cfg: &IngestConfig,
) -> Result<CallRecord<'a>, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => parse_line(format, s, cfg),
        Err(_) => {
            if bytes.len() > cfg.max_line_bytes {
                return Err(ParseError::TooLong { len: bytes.len() });
            }
            let lossy: Cow<'_, str> = String::from_utf8_lossy(bytes);
            parse_line(format, &lossy, cfg).map(CallRecord::into_owned)
        }
    }
}
