//! Recognising a log format from its first lines.
//!
//! Users point `linkwell scan` at whatever their gateway wrote and should not
//! have to know its name. Several JSON formats would "parse" each other's
//! lines (most have a status and a path somewhere), so a JSON format only
//! claims a line when it also sees keys characteristic of that gateway; the
//! generic `ndjson` mapping is the fallback when no gateway claims most of
//! the sample.

use std::borrow::Cow;

use linkwell_core::SourceFormat;

use crate::config::IngestConfig;
use crate::flat;
use crate::formats::{aws_apigw, cloudflare, envoy_json, kong, nginx_json, traefik};
use crate::{har, parse_line};

/// The outcome of [`detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub format: SourceFormat,
    /// Sample lines the chosen format parsed.
    pub matched: usize,
    /// Non-empty sample lines looked at.
    pub examined: usize,
    /// One line for the user, e.g. `nginx-json: 20/20 lines parsed; keys remote_addr, request_time`.
    pub reason: String,
}

/// Gateway formats in tie-break order (more specific first).
const SPECIFIC: [SourceFormat; 8] = [
    SourceFormat::NginxCombined,
    SourceFormat::Envoy,
    SourceFormat::Kong,
    SourceFormat::Cloudflare,
    SourceFormat::Traefik,
    SourceFormat::AwsApigw,
    SourceFormat::EnvoyJson,
    SourceFormat::NginxJson,
];

fn signature(f: SourceFormat) -> &'static [&'static str] {
    match f {
        SourceFormat::NginxJson => nginx_json::SIGNATURE,
        SourceFormat::EnvoyJson => envoy_json::SIGNATURE,
        SourceFormat::AwsApigw => aws_apigw::SIGNATURE,
        SourceFormat::Cloudflare => cloudflare::SIGNATURE,
        SourceFormat::Kong => kong::SIGNATURE,
        SourceFormat::Traefik => traefik::SIGNATURE,
        _ => &[],
    }
}

fn is_json(f: SourceFormat) -> bool {
    !matches!(f, SourceFormat::NginxCombined | SourceFormat::Envoy)
}

/// Picks the format that parses most of `sample` (up to ~20 non-empty lines,
/// or the first bytes of a file, for HAR). `None` when nothing parses.
pub fn detect(sample: &[&str], cfg: &IngestConfig) -> Option<Detection> {
    let lines: Vec<&str> = sample
        .iter()
        .map(|l| l.strip_prefix('\u{feff}').unwrap_or(l).trim())
        .filter(|l| !l.is_empty())
        .collect();
    let first = *lines.first()?;

    if let Some(d) = detect_har(first, &lines) {
        return Some(d);
    }

    // Top-level keys of each JSON line, computed once for every candidate.
    let keys: Vec<Vec<Cow<'_, str>>> = lines
        .iter()
        .map(|l| {
            let mut k = Vec::new();
            if l.starts_with('{') {
                let _ = flat::scan(l, |f| {
                    k.push(f.key);
                    Ok(())
                });
            }
            k
        })
        .collect();

    struct Score {
        format: SourceFormat,
        matched: usize,
        hits: Vec<&'static str>,
    }
    let mut best: Option<Score> = None;
    for f in SPECIFIC {
        let sig = signature(f);
        let mut score = Score {
            format: f,
            matched: 0,
            hits: Vec::new(),
        };
        for (line, keys) in lines.iter().zip(&keys) {
            let line_hits: Vec<&'static str> = sig
                .iter()
                .copied()
                .filter(|s| keys.iter().any(|k| k == s))
                .collect();
            if is_json(f) && line_hits.is_empty() {
                continue;
            }
            if parse_line(f, line, cfg).is_ok() {
                score.matched += 1;
                for h in line_hits {
                    if !score.hits.contains(&h) {
                        score.hits.push(h);
                    }
                }
            }
        }
        let better = match &best {
            None => score.matched > 0,
            Some(b) => (score.matched, score.hits.len()) > (b.matched, b.hits.len()),
        };
        if better {
            best = Some(score);
        }
    }

    let examined = lines.len();
    let ndjson = lines
        .iter()
        .filter(|l| parse_line(SourceFormat::Ndjson, l, cfg).is_ok_and(|r| r.method.is_some()))
        .count();

    match best {
        Some(b) if b.matched * 2 >= examined || b.matched >= ndjson => {
            let mut reason = format!("{}: {}/{} lines parsed", b.format, b.matched, examined);
            if !b.hits.is_empty() {
                let shown: Vec<&str> = b.hits.iter().take(4).copied().collect();
                reason.push_str("; keys ");
                reason.push_str(&shown.join(", "));
            }
            Some(Detection {
                format: b.format,
                matched: b.matched,
                examined,
                reason,
            })
        }
        _ if ndjson > 0 => Some(Detection {
            format: SourceFormat::Ndjson,
            matched: ndjson,
            examined,
            reason: format!(
                "ndjson: {ndjson}/{examined} lines parsed with the [ingest.ndjson] field names \
                 (no gateway-specific keys)"
            ),
        }),
        _ => None,
    }
}

/// A HAR document is one JSON object over many lines; the sample is either
/// that text in one piece or its first lines.
fn detect_har(first: &str, lines: &[&str]) -> Option<Detection> {
    let joined;
    let text = if har::looks_like_har(first) {
        first
    } else if first == "{" {
        joined = lines.join("\n");
        if !har::looks_like_har(&joined) {
            return None;
        }
        &joined
    } else {
        return None;
    };
    let reason = match har::parse_har(text) {
        Ok(entries) => {
            let ok = entries.iter().filter(|e| e.is_ok()).count();
            format!("har: HAR document, {ok}/{} entries parsed", entries.len())
        }
        Err(_) => "har: document starts with {\"log\"".to_string(),
    };
    Some(Detection {
        format: SourceFormat::Har,
        matched: 1,
        examined: 1,
        reason,
    })
}
