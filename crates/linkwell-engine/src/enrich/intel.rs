//! Threat-intelligence address lists: deny lists, Tor exits, scanners,
//! proxies, cloud ranges and the user's own allow list.
//!
//! Lists are plain text, one address or CIDR per line, with `#` or `;`
//! comments (whole-line or trailing) and blank lines, which covers the
//! common published formats (Tor bulk exit list, FireHOL sets, Spamhaus DROP,
//! provider range dumps reduced to prefixes). Bad lines are counted and the
//! first few reported with their line numbers; they never stop a load.
//!
//! All lists are merged into one sorted array of disjoint ranges per address
//! family, each range carrying a bit mask of the lists that contain it, so
//! one binary search answers "which lists is this address on" whatever the
//! number of lists (at most [`MAX_LISTS`]).

use std::net::IpAddr;
use std::sync::Arc;

use linkwell_core::{Owasp, Severity};
use serde::Deserialize;

use super::EnrichError;

/// The most lists one set holds: hits are a 64-bit mask.
pub const MAX_LISTS: usize = 64;
/// How many bad lines a load report lists (all are counted).
pub const MAX_BAD_LINES_SHOWN: usize = 20;

/// What a list is about; decides the finding's OWASP category and default
/// severity (see docs/detections.md, "Threat intelligence").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntelKind {
    /// Addresses the organisation has decided to refuse.
    Deny,
    /// Tor exit nodes.
    Tor,
    /// Open or commercial proxies and VPN egress.
    Proxy,
    /// Known internet-wide scanners.
    Scanner,
    /// Cloud and hosting provider ranges.
    Cloud,
    /// Trusted sources (partners, own monitoring): no finding, and the
    /// automation and travel checks leave them alone.
    Allow,
}

impl IntelKind {
    pub fn name(self) -> &'static str {
        match self {
            IntelKind::Deny => "deny",
            IntelKind::Tor => "tor",
            IntelKind::Proxy => "proxy",
            IntelKind::Scanner => "scanner",
            IntelKind::Cloud => "cloud",
            IntelKind::Allow => "allow",
        }
    }

    /// A known-bad source is not itself a Top 10 weakness, so the category is
    /// the one whose defence the hit speaks to: a denied address reaching
    /// the API means the deny list is not enforced in front of it (API8);
    /// a scanner maps out the attack surface as our scanning detector does
    /// (API9); Tor, proxies and hosting ranges are the anonymised, automated
    /// access that API6's guidance names ("block IP addresses of Tor exit
    /// nodes and well-known proxies").
    pub fn owasp(self) -> Owasp {
        match self {
            IntelKind::Deny => Owasp::Api8,
            IntelKind::Scanner => Owasp::Api9,
            IntelKind::Tor | IntelKind::Proxy | IntelKind::Cloud | IntelKind::Allow => Owasp::Api6,
        }
    }

    pub fn default_severity(self) -> Severity {
        match self {
            IntelKind::Deny => Severity::High,
            IntelKind::Tor | IntelKind::Scanner => Severity::Medium,
            IntelKind::Proxy => Severity::Low,
            IntelKind::Cloud | IntelKind::Allow => Severity::Info,
        }
    }
}

/// A list as findings name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInfo {
    pub name: String,
    pub kind: IntelKind,
    pub severity: Severity,
    /// Addresses and prefixes loaded.
    pub entries: usize,
}

/// A line that is neither an address, a CIDR, a comment nor blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub text: String,
}

/// What loading one list found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListReport {
    pub name: String,
    pub entries: usize,
    pub bad_count: u64,
    /// The first [`MAX_BAD_LINES_SHOWN`] bad lines.
    pub bad: Vec<BadLine>,
}

/// Which lists an address is on: a bit per list of the [`IntelSet`] it came
/// from; [`IntelHits::lists`] names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntelHits {
    pub(crate) mask: u64,
    pub(crate) catalog: Option<Arc<[ListInfo]>>,
}

impl IntelHits {
    pub const NONE: IntelHits = IntelHits {
        mask: 0,
        catalog: None,
    };

    pub fn is_empty(&self) -> bool {
        self.mask == 0
    }

    /// The lists hit, with their index in the set (stable for one set).
    pub fn lists(&self) -> impl Iterator<Item = (usize, &ListInfo)> {
        let mask = self.mask;
        self.catalog
            .iter()
            .flat_map(|c| c.iter().enumerate())
            .filter(move |(i, _)| mask & (1u64 << i) != 0)
    }

    pub fn any_kind(&self, kind: IntelKind) -> bool {
        self.mask != 0 && self.lists().any(|(_, l)| l.kind == kind)
    }
}

/// A disjoint range `[start, end]` of one family and the lists holding it.
#[derive(Debug, Clone, Copy)]
struct Range<T> {
    start: T,
    end: T,
    mask: u64,
}

/// The merged lists. Cheap to share (`Arc` inside); immutable once built,
/// so a reload builds a new set and swaps it in.
#[derive(Debug, Clone, Default)]
pub struct IntelSet {
    catalog: Option<Arc<[ListInfo]>>,
    v4: Vec<Range<u32>>,
    v6: Vec<Range<u128>>,
}

/// Collects lists, then merges them.
#[derive(Debug, Default)]
pub struct IntelSetBuilder {
    lists: Vec<ListInfo>,
    v4: Vec<(u128, u128, u8)>,
    v6: Vec<(u128, u128, u8)>,
}

impl IntelSetBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one list from its text. Errors only for a set that is full or a
    /// name used twice; bad lines are reported, not fatal.
    pub fn add_list(
        &mut self,
        name: &str,
        kind: IntelKind,
        severity: Option<Severity>,
        text: &str,
    ) -> Result<ListReport, EnrichError> {
        if self.lists.len() >= MAX_LISTS {
            return Err(EnrichError::TooManyLists { max: MAX_LISTS });
        }
        if self.lists.iter().any(|l| l.name == name) {
            return Err(EnrichError::DuplicateList {
                name: name.to_string(),
            });
        }
        let bit = self.lists.len() as u8;
        let mut report = ListReport {
            name: name.to_string(),
            ..Default::default()
        };
        for (i, raw) in text.lines().enumerate() {
            let line = raw
                .split(['#', ';'])
                .next()
                .unwrap_or_default()
                .trim()
                .trim_start_matches('\u{feff}');
            if line.is_empty() {
                continue;
            }
            // Some dumps carry a second column (a reference id, a count).
            let token = line.split_whitespace().next().unwrap_or(line);
            match parse_prefix(token) {
                Some((IpAddr::V4(_), start, end)) => {
                    self.v4.push((start, end, bit));
                    report.entries += 1;
                }
                Some((IpAddr::V6(_), start, end)) => {
                    self.v6.push((start, end, bit));
                    report.entries += 1;
                }
                None => {
                    report.bad_count += 1;
                    if report.bad.len() < MAX_BAD_LINES_SHOWN {
                        let mut text = raw.trim().to_string();
                        text.truncate(text.floor_char_boundary(80));
                        report.bad.push(BadLine {
                            line: i as u64 + 1,
                            text,
                        });
                    }
                }
            }
        }
        self.lists.push(ListInfo {
            name: name.to_string(),
            kind,
            severity: severity.unwrap_or_else(|| kind.default_severity()),
            entries: report.entries,
        });
        Ok(report)
    }

    pub fn build(self) -> IntelSet {
        if self.lists.is_empty() {
            return IntelSet::default();
        }
        let v4 = merge(self.v4, u128::from(u32::MAX))
            .into_iter()
            .map(|r| Range {
                start: r.start as u32,
                end: r.end as u32,
                mask: r.mask,
            })
            .collect();
        let v6 = merge(self.v6, u128::MAX);
        IntelSet {
            catalog: Some(self.lists.into()),
            v4,
            v6,
        }
    }
}

/// `a.b.c.d`, `a.b.c.d/n`, IPv6 likewise; host bits under the mask are
/// ignored (lists often write `192.0.2.1/24`). Returns the family's range as
/// integers. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4.
fn parse_prefix(s: &str) -> Option<(IpAddr, u128, u128)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip = addr.parse::<IpAddr>().ok()?;
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let len = match (len, ip) {
                (None, _) => 32,
                // A mapped address written with an IPv6 prefix length.
                (Some(l), IpAddr::V6(_)) => l.checked_sub(96)?,
                (Some(l), IpAddr::V4(_)) => l,
            };
            if len > 32 {
                return None;
            }
            let n = u32::from(v4);
            let host = u32::MAX.checked_shr(u32::from(len)).unwrap_or(0);
            Some((IpAddr::V4(v4), u128::from(n & !host), u128::from(n | host)))
        }
        IpAddr::V6(v6) => {
            let len = len.unwrap_or(128);
            if len > 128 {
                return None;
            }
            let n = u128::from(v6);
            let host = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0);
            Some((IpAddr::V6(v6), n & !host, n | host))
        }
    }
}

/// Sweeps start/end events into disjoint ranges with the mask of every list
/// covering them. `max` is the family's highest address (whose "end + 1"
/// does not exist).
fn merge(mut spans: Vec<(u128, u128, u8)>, max: u128) -> Vec<Range<u128>> {
    // Overlaps within one list are common (a /24 and a host in it); the
    // per-bit counters below handle them.
    let mut events: Vec<(u128, bool, u8)> = Vec::with_capacity(spans.len() * 2);
    for (s, e, b) in spans.drain(..) {
        events.push((s, true, b));
        if e < max {
            events.push((e + 1, false, b));
        }
    }
    events.sort_unstable_by_key(|(p, _, _)| *p);
    let mut counts = [0u32; MAX_LISTS];
    let mut mask = 0u64;
    let mut out: Vec<Range<u128>> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let pos = events[i].0;
        while i < events.len() && events[i].0 == pos {
            let (_, open, b) = events[i];
            let c = &mut counts[usize::from(b)];
            if open {
                *c += 1;
            } else {
                *c = c.saturating_sub(1);
            }
            if *c > 0 {
                mask |= 1 << b;
            } else {
                mask &= !(1 << b);
            }
            i += 1;
        }
        if mask != 0 {
            let end = events.get(i).map_or(max, |(next, _, _)| next - 1);
            match out.last_mut() {
                // Adjacent with the same lists: one range.
                Some(last) if last.mask == mask && last.end.checked_add(1) == Some(pos) => {
                    last.end = end;
                }
                _ => out.push(Range {
                    start: pos,
                    end,
                    mask,
                }),
            }
        }
    }
    out
}

fn find<T: Copy + Ord>(ranges: &[Range<T>], x: T) -> u64 {
    let i = ranges.partition_point(|r| r.start <= x);
    match i.checked_sub(1).map(|j| ranges[j]) {
        Some(r) if r.end >= x => r.mask,
        _ => 0,
    }
}

impl IntelSet {
    pub fn builder() -> IntelSetBuilder {
        IntelSetBuilder::new()
    }

    pub fn is_empty(&self) -> bool {
        self.catalog.is_none()
    }

    pub fn lists(&self) -> &[ListInfo] {
        self.catalog.as_deref().unwrap_or_default()
    }

    /// Bits of the lists holding `ip` (one binary search).
    pub(crate) fn mask(&self, ip: IpAddr) -> u64 {
        match ip.to_canonical() {
            IpAddr::V4(v4) => find(&self.v4, u32::from(v4)),
            IpAddr::V6(v6) => find(&self.v6, u128::from(v6)),
        }
    }

    pub(crate) fn catalog(&self) -> Option<&Arc<[ListInfo]>> {
        self.catalog.as_ref()
    }

    pub fn lookup(&self, ip: IpAddr) -> IntelHits {
        IntelHits {
            mask: self.mask(ip),
            catalog: self.catalog.clone(),
        }
    }

    /// Disjoint ranges held, both families (for metrics and tests).
    pub fn ranges(&self) -> usize {
        self.v4.len() + self.v6.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn names(set: &IntelSet, a: &str) -> Vec<String> {
        set.lookup(ip(a))
            .lists()
            .map(|(_, l)| l.name.clone())
            .collect()
    }

    #[test]
    fn parses_lists_and_reports_bad_lines() {
        let mut b = IntelSet::builder();
        let r = b
            .add_list(
                "tor-exits",
                IntelKind::Tor,
                None,
                "# Tor exits\n\n185.220.101.1\n185.220.101.2 # relay\n2001:db8:dead::/48\nnot-an-ip\n10.0.0.0/33\n",
            )
            .map_err(|e| e.to_string());
        let r = r.unwrap_or_default();
        assert_eq!(r.entries, 3);
        assert_eq!(r.bad_count, 2);
        assert_eq!(r.bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![6, 7]);
        assert_eq!(r.bad[0].text, "not-an-ip");
        let set = b.build();
        assert_eq!(names(&set, "185.220.101.2"), vec!["tor-exits"]);
        assert!(names(&set, "185.220.101.3").is_empty());
        assert_eq!(names(&set, "2001:db8:dead:1::5"), vec!["tor-exits"]);
        assert!(names(&set, "2001:db8:beef::5").is_empty());
        // IPv4-mapped IPv6 clients are looked up as IPv4.
        assert_eq!(names(&set, "::ffff:185.220.101.1"), vec!["tor-exits"]);
    }

    #[test]
    fn overlapping_lists_report_every_list() {
        let mut b = IntelSet::builder();
        let _ = b.add_list(
            "cloud",
            IntelKind::Cloud,
            None,
            "203.0.113.0/24\n198.51.100.0/24",
        );
        let _ = b.add_list(
            "deny",
            IntelKind::Deny,
            Some(Severity::Critical),
            "203.0.113.128/25 ; SBL1\n203.0.113.7\n0.0.0.0/0\n",
        );
        let set = b.build();
        assert_eq!(names(&set, "203.0.113.200"), vec!["cloud", "deny"]);
        assert_eq!(names(&set, "203.0.113.7"), vec!["cloud", "deny"]);
        assert_eq!(names(&set, "198.51.100.1"), vec!["cloud", "deny"]);
        // 0.0.0.0/0 covers the whole IPv4 space, up to the last address.
        assert_eq!(names(&set, "255.255.255.255"), vec!["deny"]);
        assert!(names(&set, "::1").is_empty());
        assert_eq!(set.lists()[1].severity, Severity::Critical);
        assert_eq!(set.lists()[0].severity, Severity::Info);
    }

    #[test]
    fn host_bits_and_edges() {
        assert_eq!(
            parse_prefix("192.0.2.77/24").map(|(_, s, e)| (s, e)),
            Some((0xC000_0200, 0xC000_02FF))
        );
        assert_eq!(
            parse_prefix("::/0").map(|(_, s, e)| (s, e)),
            Some((0, u128::MAX))
        );
        assert_eq!(
            parse_prefix("::ffff:192.0.2.0/120").map(|(_, s, e)| (s, e)),
            Some((0xC000_0200, 0xC000_02FF))
        );
        assert!(parse_prefix("192.0.2.1/").is_none());
        assert!(parse_prefix("2001:db8::/129").is_none());
    }

    #[test]
    fn limits() {
        let mut b = IntelSet::builder();
        assert!(b.add_list("a", IntelKind::Deny, None, "").is_ok());
        assert!(matches!(
            b.add_list("a", IntelKind::Deny, None, ""),
            Err(EnrichError::DuplicateList { .. })
        ));
        for i in 1..MAX_LISTS {
            assert!(
                b.add_list(&format!("l{i}"), IntelKind::Deny, None, "")
                    .is_ok()
            );
        }
        assert!(matches!(
            b.add_list("one-too-many", IntelKind::Deny, None, ""),
            Err(EnrichError::TooManyLists { .. })
        ));
    }
}
