//! Matching observed endpoints to spec operations.
//!
//! The rule, in order:
//!
//! 1. Methods must be equal.
//! 2. The spec path is prefixed with each applicable server's base path
//!    (`https://api.example.com/v1` + `/accounts` matches observed
//!    `/v1/accounts`); without servers, or with `/`, the path is used as is.
//! 3. Segment by segment: a spec segment that is one `{anyName}` matches any
//!    observed segment (a literal, `{id}`, `{param}`, ...); a literal spec
//!    segment must equal the observed one (after the same percent-encoding
//!    normalisation templates get); a mixed segment (`{id}.json`) matches as
//!    a pattern whose `{...}` holes match one or more characters.
//! 4. Among matches, prefer the server whose host is the observed host, then
//!    a server without a host (relative URL) or an observation without one,
//!    then any other host: a path match on an unknown host still counts,
//!    because deployments often serve the public API under internal names.
//! 5. Then prefer the most specific path (literal segments score 2, mixed
//!    segments 1, `{param}` segments 0); remaining ties go to the first spec
//!    and the first operation.
//!
//! A known limitation: once `/v1/users/me` and `/v1/users/alice` were
//! merged into `/v1/users/{param}`, a spec's literal `/v1/users/me` no
//! longer matches and is reported unused.

use std::collections::{BTreeSet, HashMap};

use linkwell_core::{Classification, EndpointSummary};

use super::{Operation, Spec};
use crate::pct;
use crate::template::OVERFLOW;

#[derive(Debug)]
enum PSeg {
    Any,
    Literal(String),
    /// Literal pieces with a hole between each pair (`["", ".json"]`).
    Mixed(Vec<String>),
}

#[derive(Debug)]
struct Pattern {
    spec: usize,
    op: usize,
    host: Option<String>,
    segs: Vec<PSeg>,
    score: usize,
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn pattern_seg(seg: &str) -> PSeg {
    if !seg.contains('{') {
        return PSeg::Literal(pct::normalize_literal(seg));
    }
    let mut pieces = Vec::new();
    let mut rest = seg;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        pieces.push(pct::normalize_literal(&rest[..open]));
        rest = &rest[open + close + 1..];
    }
    pieces.push(pct::normalize_literal(rest));
    if pieces.len() == 2 && pieces.iter().all(String::is_empty) {
        PSeg::Any
    } else {
        PSeg::Mixed(pieces)
    }
}

/// Glob match: each gap between `pieces` is a hole of one or more chars.
fn mixed_match(pieces: &[String], s: &str) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return s.is_empty();
    };
    let Some(mut s) = s.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return s.is_empty();
    };
    for piece in middle {
        // Leftmost occurrence after at least one hole character.
        let Some(i) = s
            .char_indices()
            .skip(1)
            .map(|(i, _)| i)
            .find(|&i| s[i..].starts_with(piece.as_str()))
        else {
            return false;
        };
        s = &s[i + piece.len()..];
    }
    s.len() > last.len() && s.ends_with(last.as_str())
}

impl Pattern {
    fn matches(&self, observed: &[&str]) -> bool {
        self.segs.len() == observed.len()
            && self.segs.iter().zip(observed).all(|(p, o)| match p {
                PSeg::Any => true,
                PSeg::Literal(l) => l == o,
                PSeg::Mixed(pieces) => mixed_match(pieces, o),
            })
    }

    fn host_rank(&self, host: &str) -> u8 {
        match &self.host {
            Some(h) if h == host => 2,
            None => 1,
            Some(_) if host.is_empty() => 1,
            Some(_) => 0,
        }
    }
}

/// The template an operation gets when nothing called it.
fn spec_template(op: &Operation) -> (String, String) {
    let server = op.servers.first();
    let host = server.and_then(|s| s.host.clone()).unwrap_or_default();
    let base = server.map_or("", |s| s.base_path.as_str());
    let mut t = String::new();
    for seg in segments(base).chain(segments(&op.path)) {
        t.push('/');
        if seg.contains('{') {
            t.push_str(seg);
        } else {
            t.push_str(&pct::normalize_literal(seg));
        }
    }
    if t.is_empty() {
        t.push('/');
    }
    (host, t)
}

fn build(specs: &[Spec]) -> HashMap<(String, usize), Vec<Pattern>> {
    let mut by_shape: HashMap<(String, usize), Vec<Pattern>> = HashMap::new();
    for (si, spec) in specs.iter().enumerate() {
        for (oi, op) in spec.operations.iter().enumerate() {
            let bases: Vec<(Option<String>, &str)> = if op.servers.is_empty() {
                vec![(None, "")]
            } else {
                op.servers
                    .iter()
                    .map(|s| (s.host.clone(), s.base_path.as_str()))
                    .collect()
            };
            for (host, base) in bases {
                let segs: Vec<PSeg> = segments(base)
                    .chain(segments(&op.path))
                    .map(pattern_seg)
                    .collect();
                let score = segs
                    .iter()
                    .map(|s| match s {
                        PSeg::Any => 0,
                        PSeg::Mixed(_) => 1,
                        PSeg::Literal(_) => 2,
                    })
                    .sum();
                by_shape
                    .entry((op.method.to_ascii_uppercase(), segs.len()))
                    .or_default()
                    .push(Pattern {
                        spec: si,
                        op: oi,
                        host,
                        segs,
                        score,
                    });
            }
        }
    }
    by_shape
}

/// Sets each endpoint's classification (documented, shadow, zombie) and
/// `spec_path`, then appends an `Unused` summary (calls 0) for every spec
/// operation no endpoint matched. With no specs, changes nothing. The
/// `/{overflow}` buckets are not endpoints and stay unclassified. Unused
/// rows from an earlier call are replaced, so classifying twice is safe.
pub fn classify(endpoints: &mut Vec<EndpointSummary>, specs: &[Spec]) {
    if specs.is_empty() {
        return;
    }
    endpoints.retain(|e| !(e.classification == Classification::Unused && e.calls == 0));
    let patterns = build(specs);
    let mut used: Vec<Vec<bool>> = specs
        .iter()
        .map(|s| vec![false; s.operations.len()])
        .collect();
    for e in endpoints.iter_mut() {
        if e.template.strip_prefix('/') == Some(OVERFLOW) {
            continue;
        }
        let observed: Vec<&str> = segments(&e.template).collect();
        let best = patterns
            .get(&(e.method.to_ascii_uppercase(), observed.len()))
            .into_iter()
            .flatten()
            .filter(|p| p.matches(&observed))
            .fold(None::<(&Pattern, (u8, usize))>, |best, p| {
                let rank = (p.host_rank(&e.host), p.score);
                match best {
                    Some((_, r)) if r >= rank => best,
                    _ => Some((p, rank)),
                }
            });
        match best {
            Some((p, _)) => {
                let op = &specs[p.spec].operations[p.op];
                used[p.spec][p.op] = true;
                e.classification = if op.deprecated {
                    Classification::Zombie
                } else {
                    Classification::Documented
                };
                e.spec_path = Some(op.path.clone());
            }
            None => {
                e.classification = Classification::Shadow;
                e.spec_path = None;
            }
        }
    }
    let mut unused = BTreeSet::new();
    for (si, spec) in specs.iter().enumerate() {
        for (oi, op) in spec.operations.iter().enumerate() {
            if !used[si][oi] {
                let (host, template) = spec_template(op);
                unused.insert((op.method.clone(), host, template, op.path.clone()));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (method, host, template, path) in unused {
        if !seen.insert((method.clone(), host.clone(), template.clone())) {
            continue;
        }
        endpoints.push(EndpointSummary {
            method,
            host,
            template,
            classification: Classification::Unused,
            spec_path: Some(path),
            ..EndpointSummary::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_patterns() {
        let p = |s: &str, o: &str| match pattern_seg(s) {
            PSeg::Any => true,
            PSeg::Literal(l) => l == o,
            PSeg::Mixed(pieces) => mixed_match(&pieces, o),
        };
        assert!(p("{accountId}", "{id}"));
        assert!(p("{accountId}", "anything"));
        assert!(p("accounts", "accounts"));
        assert!(!p("accounts", "{id}"));
        assert!(p("{id}.json", "{id}.json"));
        assert!(p("{id}.json", "4711.json"));
        assert!(!p("{id}.json", ".json"));
        assert!(!p("{id}.json", "4711.xml"));
        assert!(p("report-{from}-{to}", "report-a-b"));
        assert!(!p("report-{from}-{to}", "report-a"));
        assert!(p("caf%C3%A9", "café"));
    }
}
