//! Per-endpoint statistics: fixed-size, mergeable, cheap to update.
//!
//! Endpoints are merged after learning (`/v1/users/alice/profile` and
//! `/v1/users/bob/profile` become one), so everything here merges. Most
//! endpoints of a large inventory see few calls; distributions and client
//! sets therefore start as a handful of exact values and only switch to the
//! core sketches (a 5 KiB histogram, a 1 KiB HyperLogLog) when they fill up.

use std::hash::BuildHasher;
use std::net::IpAddr;

use linkwell_core::sensitive::{SensitiveKind, classify_param};
use linkwell_core::sketch::{BoundedSet, Hll, LogHistogram, hash64};
use linkwell_core::{
    AuthSchemes, CallRecord, Classification, EndpointKey, EndpointSummary, Quantiles, StatusMix,
    Timestamp,
};

use crate::body::{self, BodyKind};
use crate::hash::Seeded;
use crate::pct;
use crate::sensitive::{self, KindSet};

/// Distinct parameter names kept per endpoint (query and body, each).
const PARAM_NAMES: usize = 50;
/// Longer parameter names are cut (they are attacker-chosen).
const MAX_NAME_LEN: usize = 64;
/// Clients listed per endpoint.
const TOP_CLIENTS: usize = 10;
/// HyperLogLog precision for distinct clients (~3% error, 1 KiB).
const HLL_P: u8 = 10;
/// Exact values kept before switching to a sketch.
const SMALL: usize = 8;
const SPARSE_CLIENTS: usize = 16;
/// Exact status codes tracked (Space-Saving beyond that).
const CODES: usize = 12;
/// Slots of the parameter-name cache (a power of two).
const NAME_CACHE: usize = 512;

/// Scratch space and caches shared by all endpoints.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    name: Vec<u8>,
    value: Vec<u8>,
    /// Parameter name -> what its name alone says (`password`, `api_key`).
    name_kinds: NameKinds,
}

/// What `classify_param` says about a parameter from its name alone, for
/// recently seen names. Direct-mapped (a slot per name hash, replaced on
/// collision): names repeat endlessly in traffic and the check allocates.
#[derive(Debug, Default)]
struct NameKinds {
    slots: Vec<Option<(Box<str>, Option<SensitiveKind>)>>,
    keys: Seeded,
}

impl NameKinds {
    fn get(&mut self, name: &str) -> Option<SensitiveKind> {
        if self.slots.is_empty() {
            self.slots.resize(NAME_CACHE, None);
        }
        let slot = (self.keys.hash_one(name) as usize) & (NAME_CACHE - 1);
        if let Some((n, k)) = &self.slots[slot]
            && **n == *name
        {
            return *k;
        }
        // With a non-empty value and no name match, core falls through to
        // the value check, which says nothing about "x": this isolates what
        // the name alone says.
        let k = classify_param(name, "x");
        self.slots[slot] = Some((name.into(), k));
        k
    }
}

/// A distribution: exact while small, a [`LogHistogram`] after.
#[derive(Debug, Clone)]
enum Dist {
    Small { vals: [u64; SMALL], len: usize },
    Dense(LogHistogram),
}

impl Default for Dist {
    fn default() -> Self {
        Dist::Small {
            vals: [0; SMALL],
            len: 0,
        }
    }
}

impl Dist {
    fn record(&mut self, v: u64) {
        match self {
            Dist::Small { vals, len } if *len < SMALL => {
                vals[*len] = v;
                *len += 1;
            }
            Dist::Small { vals, .. } => {
                let mut h = LogHistogram::default();
                vals.iter().for_each(|x| h.record(*x));
                h.record(v);
                *self = Dist::Dense(h);
            }
            Dist::Dense(h) => h.record(v),
        }
    }

    fn merge(&mut self, other: &Dist) {
        match other {
            Dist::Small { vals, len } => vals[..*len].iter().for_each(|v| self.record(*v)),
            Dist::Dense(o) => {
                if let Dist::Small { vals, len } = self {
                    let mut h = LogHistogram::default();
                    vals[..*len].iter().for_each(|x| h.record(*x));
                    *self = Dist::Dense(h);
                }
                if let Dist::Dense(h) = self {
                    h.merge(o);
                }
            }
        }
    }

    /// p50, p90, p99 and max, with the same rank rule as [`LogHistogram`].
    fn quantiles(&self, scale: f64) -> Option<Quantiles> {
        let (p50, p90, p99, max) = match self {
            Dist::Small { len: 0, .. } => return None,
            Dist::Small { vals, len } => {
                let mut v = *vals;
                let v = &mut v[..*len];
                v.sort_unstable();
                let q = |q: f64| {
                    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
                    v[rank - 1]
                };
                (q(0.5), q(0.9), q(0.99), v[v.len() - 1])
            }
            Dist::Dense(h) => (
                h.quantile(0.5)?,
                h.quantile(0.9)?,
                h.quantile(0.99)?,
                h.max(),
            ),
        };
        Some(Quantiles {
            p50: p50 as f64 * scale,
            p90: p90 as f64 * scale,
            p99: p99 as f64 * scale,
            max: max as f64 * scale,
        })
    }
}

/// Distinct clients: exact hashes while few, a HyperLogLog after.
#[derive(Debug, Clone)]
enum Clients {
    Sparse {
        hashes: [u64; SPARSE_CLIENTS],
        len: usize,
    },
    Dense(Hll),
}

impl Default for Clients {
    fn default() -> Self {
        Clients::Sparse {
            hashes: [0; SPARSE_CLIENTS],
            len: 0,
        }
    }
}

impl Clients {
    fn insert(&mut self, h: u64) {
        match self {
            Clients::Sparse { hashes, len } => {
                if hashes[..*len].contains(&h) {
                    return;
                }
                if *len < SPARSE_CLIENTS {
                    hashes[*len] = h;
                    *len += 1;
                    return;
                }
                let mut hll = Hll::new(HLL_P);
                hashes.iter().for_each(|x| hll.insert_hash(*x));
                hll.insert_hash(h);
                *self = Clients::Dense(hll);
            }
            Clients::Dense(hll) => hll.insert_hash(h),
        }
    }

    fn merge(&mut self, other: &Clients) {
        match other {
            Clients::Sparse { hashes, len } => hashes[..*len].iter().for_each(|h| self.insert(*h)),
            Clients::Dense(o) => {
                if let Clients::Sparse { hashes, len } = self {
                    let mut hll = Hll::new(HLL_P);
                    hashes[..*len].iter().for_each(|x| hll.insert_hash(*x));
                    *self = Clients::Dense(hll);
                }
                if let Clients::Dense(h) = self {
                    h.merge(o);
                }
            }
        }
    }

    fn estimate(&self) -> u64 {
        match self {
            Clients::Sparse { len, .. } => *len as u64,
            Clients::Dense(h) => h.estimate(),
        }
    }
}

/// The heaviest clients: Space-Saving (as `linkwell_core::sketch::TopK`)
/// over addresses rather than strings, so the per-call update compares 16
/// bytes instead of formatting and comparing text.
#[derive(Debug, Clone, Default)]
struct TopClients {
    items: [(Option<IpAddr>, u64); TOP_CLIENTS],
    len: usize,
}

impl TopClients {
    fn add(&mut self, ip: IpAddr, n: u64) {
        if let Some(slot) = self.items[..self.len]
            .iter_mut()
            .find(|(a, _)| *a == Some(ip))
        {
            slot.1 += n;
        } else if self.len < TOP_CLIENTS {
            self.items[self.len] = (Some(ip), n);
            self.len += 1;
        } else if let Some(min) = self.items.iter_mut().min_by_key(|(_, c)| *c) {
            *min = (Some(ip), min.1 + n);
        }
    }

    fn merge(&mut self, other: &TopClients) {
        for (ip, n) in &other.items[..other.len] {
            if let Some(ip) = ip {
                self.add(*ip, *n);
            }
        }
    }

    /// Sorted by count descending, then address text (as `TopK::top`).
    fn top(&self) -> Vec<(String, u64)> {
        let mut s = String::new();
        let mut v: Vec<(String, u64)> = self.items[..self.len]
            .iter()
            .filter_map(|(ip, n)| {
                format_ip((*ip)?, &mut s);
                Some((s.clone(), *n))
            })
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

/// The most frequent exact status codes (Space-Saving over [`CODES`] slots).
#[derive(Debug, Clone, Default)]
struct Codes {
    items: [(u16, u64); CODES],
    len: usize,
}

impl Codes {
    fn add(&mut self, code: u16, n: u64) {
        if let Some(slot) = self.items[..self.len].iter_mut().find(|(c, _)| *c == code) {
            slot.1 += n;
        } else if self.len < CODES {
            self.items[self.len] = (code, n);
            self.len += 1;
        } else if let Some(min) = self.items.iter_mut().min_by_key(|(_, c)| *c) {
            *min = (code, min.1 + n);
        }
    }

    fn sorted(&self) -> Vec<(u16, u64)> {
        let mut v = self.items[..self.len].to_vec();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// Everything the inventory keeps about one endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    pub(crate) calls: u64,
    /// Calls answered with something other than 404/405.
    pub(crate) ok_calls: u64,
    status: StatusMix,
    codes: Codes,
    latency_us: Dist,
    request_bytes: Dist,
    response_bytes: Dist,
    auth: AuthSchemes,
    query_params: BoundedSet,
    body_params: BoundedSet,
    sensitive: KindSet,
    clients: Clients,
    top_clients: TopClients,
    first_seen: Option<Timestamp>,
    last_seen: Option<Timestamp>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            calls: 0,
            ok_calls: 0,
            status: StatusMix::default(),
            codes: Codes::default(),
            latency_us: Dist::default(),
            request_bytes: Dist::default(),
            response_bytes: Dist::default(),
            auth: AuthSchemes::default(),
            query_params: BoundedSet::new(PARAM_NAMES),
            body_params: BoundedSet::new(PARAM_NAMES),
            sensitive: KindSet::default(),
            clients: Clients::default(),
            top_clients: TopClients::default(),
            first_seen: None,
            last_seen: None,
        }
    }
}

/// True when a call counts as "the endpoint answered" (not scanner noise).
pub(crate) fn is_answered(status: u16) -> bool {
    !matches!(status, 404 | 405)
}

impl Stats {
    /// Adds one call; `path_kinds` are the sensitive kinds found in its path.
    pub(crate) fn record(&mut self, call: &CallRecord<'_>, path_kinds: KindSet, cx: &mut Scratch) {
        self.calls += 1;
        if is_answered(call.status) {
            self.ok_calls += 1;
        }
        self.status.record(call.status);
        self.codes.add(call.status, 1);
        if let Some(v) = call.latency_us {
            self.latency_us.record(v);
        }
        if let Some(v) = call.request_bytes {
            self.request_bytes.record(v);
        }
        if let Some(v) = call.response_bytes {
            self.response_bytes.record(v);
        }
        self.auth = self.auth.union(call.auth);
        self.sensitive = self.sensitive.union(path_kinds);
        if let Some(q) = call.query.as_deref() {
            for pair in q
                .split('&')
                .filter(|p| !p.is_empty())
                .take(body::MAX_PARAMS_PER_CALL)
            {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                record_param(&mut self.query_params, &mut self.sensitive, k, v, true, cx);
            }
        }
        if let Some(b) = call.request_body.as_deref() {
            self.record_body(b, call.content_type.as_deref(), cx);
        }
        if let Some(b) = call.response_body.as_deref() {
            self.record_response_body(b, cx);
        }
        if let Some(ip) = call.client_ip {
            let h = match ip {
                IpAddr::V4(a) => hash64(&a.octets()),
                IpAddr::V6(a) => hash64(&a.octets()),
            };
            self.clients.insert(h);
            self.top_clients.add(ip, 1);
        }
        if call.time != Timestamp::default() {
            let t = call.time;
            self.first_seen = Some(self.first_seen.map_or(t, |f| f.min(t)));
            self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        }
    }

    fn record_body(&mut self, body: &str, content_type: Option<&str>, cx: &mut Scratch) {
        let sample = body::prefix(body, body::BODY_SCAN_BYTES);
        match body::kind(sample, content_type) {
            BodyKind::Json => {
                let (set, sens) = (&mut self.body_params, &mut self.sensitive);
                body::json_top_level(sample, |k, v| {
                    record_param(set, sens, k, v.unwrap_or(""), false, cx);
                });
                // Nested values (`{"payer": {"iban": ...}}`) by their shape.
                sensitive::scan_text(sample, &mut self.sensitive);
            }
            BodyKind::Form => {
                for pair in sample
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .take(body::MAX_PARAMS_PER_CALL)
                {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    record_param(&mut self.body_params, &mut self.sensitive, k, v, true, cx);
                }
            }
            BodyKind::Other => sensitive::scan_text(sample, &mut self.sensitive),
        }
    }

    /// What an endpoint returns counts for its sensitive kinds (a card
    /// number in a response puts the endpoint in PCI scope as surely as one
    /// in a request), but a response's field names are not parameters.
    fn record_response_body(&mut self, body: &str, cx: &mut Scratch) {
        let sample = body::prefix(body, body::BODY_SCAN_BYTES);
        if body::kind(sample, None) == BodyKind::Json {
            let kinds = &mut self.sensitive;
            body::json_top_level(sample, |k, v| {
                let name = body::prefix(k, MAX_NAME_LEN);
                if let (Some(kind), Some(v)) = (cx.name_kinds.get(name), v)
                    && !v.is_empty()
                {
                    kinds.insert(kind);
                }
            });
        }
        sensitive::scan_text(sample, &mut self.sensitive);
    }

    pub(crate) fn merge(&mut self, o: &Stats) {
        self.calls += o.calls;
        self.ok_calls += o.ok_calls;
        let s = &mut self.status;
        s.s1xx += o.status.s1xx;
        s.s2xx += o.status.s2xx;
        s.s3xx += o.status.s3xx;
        s.s4xx += o.status.s4xx;
        s.s5xx += o.status.s5xx;
        s.other += o.status.other;
        for (c, n) in &o.codes.items[..o.codes.len] {
            self.codes.add(*c, *n);
        }
        self.latency_us.merge(&o.latency_us);
        self.request_bytes.merge(&o.request_bytes);
        self.response_bytes.merge(&o.response_bytes);
        self.auth = self.auth.union(o.auth);
        self.query_params.merge(&o.query_params);
        self.body_params.merge(&o.body_params);
        self.sensitive = self.sensitive.union(o.sensitive);
        self.clients.merge(&o.clients);
        self.top_clients.merge(&o.top_clients);
        self.first_seen = min_opt(self.first_seen, o.first_seen);
        self.last_seen = match (self.last_seen, o.last_seen) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    pub(crate) fn summary(&self, key: &EndpointKey) -> EndpointSummary {
        let mut status = self.status.clone();
        status.codes = self.codes.sorted();
        EndpointSummary {
            method: key.method.clone(),
            host: key.host.clone(),
            template: key.template.clone(),
            calls: self.calls,
            status,
            latency_ms: self.latency_us.quantiles(0.001),
            request_bytes: self.request_bytes.quantiles(1.0),
            response_bytes: self.response_bytes.quantiles(1.0),
            auth: self.auth,
            query_params: self.query_params.sorted(),
            body_params: self.body_params.sorted(),
            sensitive: self.sensitive.to_vec(),
            clients: self.clients.estimate().min(self.calls),
            top_clients: self.top_clients.top(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            classification: Classification::Unclassified,
            spec_path: None,
            findings: 0,
            risk_score: 0,
        }
    }
}

/// An address as `IpAddr`'s `Display` writes it, into a reused buffer
/// (summaries format up to ten addresses per endpoint).
fn format_ip(ip: IpAddr, out: &mut String) {
    out.clear();
    linkwell_core::ip::push_ip(out, ip);
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Records one `name=value` parameter: its (decoded, capped) name, and the
/// sensitive kind `classify_param` gives it.
fn record_param(
    names: &mut BoundedSet,
    kinds: &mut KindSet,
    raw_name: &str,
    raw_value: &str,
    form: bool,
    cx: &mut Scratch,
) {
    // Raw text is cut before decoding so a huge parameter costs no more
    // than a normal one (an escape is at most three bytes).
    let raw_name = body::prefix(raw_name, 3 * MAX_NAME_LEN);
    let name = body::prefix(pct::decoded(raw_name, form, &mut cx.name), MAX_NAME_LEN);
    if name.is_empty() {
        return;
    }
    names.insert(name);
    let raw_value = body::prefix(raw_value, body::BODY_SCAN_BYTES);
    let value = pct::decoded(raw_value, form, &mut cx.value);
    let by_name = cx.name_kinds.get(name);
    let kind = match by_name {
        Some(k) => (!value.is_empty()).then_some(k),
        // Bare numbers (an SSN, a national phone number) mean something
        // only under their parameter name; ask core with the name then.
        None if looks_numeric(value) => linkwell_core::sensitive::classify_param(name, value),
        None => linkwell_core::sensitive::classify_value(value),
    };
    if let Some(k) = kind {
        kinds.insert(k);
    }
}

/// Seven to fifteen digits, possibly grouped: the values whose meaning
/// depends on the parameter's name.
fn looks_numeric(v: &str) -> bool {
    let b = v.as_bytes();
    (7..=20).contains(&b.len())
        && b.first().is_some_and(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b' ' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_kinds_agree_with_core() {
        let mut cx = Scratch::default();
        for (n, v) in [
            ("password", "hunter2"),
            ("password", ""),
            ("api_key", "k"),
            ("card", "4111111111111111"),
            ("limit", "10"),
            ("Token", "abc"),
            ("email", "alice@example.com"),
            ("q", "GB82WEST12345698765432"),
            ("ssn", "123456789"),
            ("phone", "07700 900123"),
            ("order", "123456789"),
            ("q", "123-45-6789"),
        ] {
            let mut names = BoundedSet::new(10);
            let mut kinds = KindSet::default();
            // Twice: the second answer comes from the name cache.
            for _ in 0..2 {
                record_param(&mut names, &mut kinds, n, v, true, &mut cx);
            }
            let mut want = KindSet::default();
            if let Some(k) = classify_param(n, v) {
                want.insert(k);
            }
            assert_eq!(kinds, want, "{n}={v}");
        }
    }

    #[test]
    fn small_and_dense_distributions_agree() {
        let mut small = Dist::default();
        for v in [10, 20, 30, 40, 50] {
            small.record(v);
        }
        let q = small.quantiles(1.0).unwrap();
        assert_eq!((q.p50, q.p90, q.max), (30.0, 50.0, 50.0));
        let mut dense = Dist::default();
        for v in 1..=1000 {
            dense.record(v);
        }
        let q = dense.quantiles(1.0).unwrap();
        assert!((q.p50 - 500.0).abs() < 25.0, "{q:?}");
        assert_eq!(q.max, 1000.0);
        small.merge(&dense);
        assert!(matches!(small, Dist::Dense(_)));
        assert_eq!(Dist::default().quantiles(1.0), None);
    }

    #[test]
    fn ip_formatting_matches_display() {
        let mut s = String::new();
        for ip in [
            "0.0.0.0",
            "10.0.0.1",
            "192.168.100.255",
            "203.0.113.7",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            format_ip(ip, &mut s);
            assert_eq!(s, ip.to_string());
        }
    }

    #[test]
    fn top_clients_keep_heavy_hitters() {
        let mut t = TopClients::default();
        let heavy: IpAddr = "203.0.113.7".parse().unwrap();
        for i in 0..1000u32 {
            t.add(heavy, 1);
            t.add(IpAddr::from(std::net::Ipv4Addr::from(i)), 1);
        }
        let mut other = TopClients::default();
        other.add(heavy, 5);
        t.merge(&other);
        let top = t.top();
        assert_eq!(top[0], ("203.0.113.7".to_string(), 1005));
        assert_eq!(top.len(), TOP_CLIENTS);
    }

    #[test]
    fn clients_switch_to_hll() {
        let mut c = Clients::default();
        for i in 0..1000u32 {
            c.insert(hash64(&i.to_le_bytes()));
            c.insert(hash64(&i.to_le_bytes()));
        }
        let e = c.estimate() as f64;
        assert!((e - 1000.0).abs() < 100.0, "{e}");
        let mut few = Clients::default();
        few.insert(1);
        few.insert(2);
        few.insert(1);
        assert_eq!(few.estimate(), 2);
    }
}
