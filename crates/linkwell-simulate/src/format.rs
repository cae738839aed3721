//! Renders an [`Event`] as one log line in each supported gateway format.
//!
//! Lines are written by hand into a byte buffer: serde would need an owned
//! or borrowed struct per format, and this is the hot loop. Field names and
//! shapes follow `integrations.md` §1.1 (NGINX `combined`), §1.2 (the
//! recommended `apimon` JSON format), §1.3 (Envoy `json_format`) and §1.8
//! (Kong `file-log`). The bank runs on London time, which in winter is UTC,
//! so every offset is `+00:00`.

use linkwell_core::Timestamp;

use crate::OutputFormat;
use crate::bank::Ep;
use crate::event::Event;
use crate::ids::{push_hex128, push_uuid};
use crate::rng::{hash_str, splitmix64};

/// Civil time of the current second, rendered once per second.
struct Clock {
    sec: i64,
    /// `2026-03-02T10:15:30`
    iso: [u8; 19],
    /// `02/Mar/2026:10:15:30`
    clf: [u8; 20],
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

impl Clock {
    fn new() -> Self {
        Clock {
            sec: i64::MIN,
            iso: [b'0'; 19],
            clf: [b'0'; 20],
        }
    }

    fn set(&mut self, sec: i64) {
        if sec == self.sec {
            return;
        }
        self.sec = sec;
        let (y, mo, d, h, mi, s) = Timestamp::from_secs(sec).to_civil();
        let y = y.clamp(0, 9999) as u32;
        let two = |v: u32| [b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8];
        let year = [
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
        ];
        let (mo2, d2, h2, mi2, s2) = (two(mo), two(d), two(h), two(mi), two(s));
        self.iso = [
            year[0], year[1], year[2], year[3], b'-', mo2[0], mo2[1], b'-', d2[0], d2[1], b'T',
            h2[0], h2[1], b':', mi2[0], mi2[1], b':', s2[0], s2[1],
        ];
        let mon = MONTHS[(mo.clamp(1, 12) - 1) as usize];
        self.clf = [
            d2[0], d2[1], b'/', mon[0], mon[1], mon[2], b'/', year[0], year[1], year[2], year[3],
            b':', h2[0], h2[1], b':', mi2[0], mi2[1], b':', s2[0], s2[1],
        ];
    }
}

/// Writes events as lines of one format.
pub(crate) struct LineWriter {
    format: OutputFormat,
    clock: Clock,
    scratch: Vec<u8>,
}

impl LineWriter {
    pub(crate) fn new(format: OutputFormat) -> Self {
        LineWriter {
            format,
            clock: Clock::new(),
            scratch: Vec::with_capacity(256),
        }
    }

    /// Appends one line, with its `\n`, to `out`.
    pub(crate) fn write(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        self.clock.set(ev.time_ms.div_euclid(1000));
        match self.format {
            OutputFormat::NginxJson => self.nginx_json(ev, out),
            OutputFormat::NginxCombined => self.combined(ev, out),
            OutputFormat::EnvoyJson => self.envoy_json(ev, out),
            OutputFormat::Kong => self.kong(ev, out),
        }
        out.push(b'\n');
    }

    fn millis(ev: &Event<'_>) -> u64 {
        ev.time_ms.rem_euclid(1000) as u64
    }

    fn nginx_json(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"ts\":\"");
        out.extend_from_slice(&self.clock.iso);
        out.extend_from_slice(b"+00:00\",\"msec\":");
        push_i64(out, self.clock.sec);
        out.push(b'.');
        push_fixed3(out, Self::millis(ev));
        out.extend_from_slice(b",\"request_id\":\"");
        push_hex128(out, ev.request_id);
        key_raw(out, b"\",\"remote_addr\":", &ev.ip);
        out.extend_from_slice(b",\"remote_port\":\"");
        push_u64(out, u64::from(ev.port));
        out.extend_from_slice(b"\",\"xff\":\"\"");
        key_str(out, b",\"remote_user\":", ev.remote_user);
        key_raw(out, b",\"method\":", ev.method);
        key_raw(out, b",\"host\":", ev.host);
        key_str(out, b",\"uri\":", &ev.uri);
        key_raw(out, b",\"proto\":", ev.proto.nginx());
        out.extend_from_slice(b",\"status\":");
        push_u64(out, u64::from(ev.status));
        out.extend_from_slice(b",\"request_length\":");
        push_u64(out, ev.request_length);
        out.extend_from_slice(b",\"bytes_sent\":");
        push_u64(out, ev.body_bytes + ev.header_bytes);
        out.extend_from_slice(b",\"body_bytes_sent\":");
        push_u64(out, ev.body_bytes);
        out.extend_from_slice(b",\"request_time\":");
        push_secs(out, ev.request_ms);
        match &ev.upstream {
            Some(u) => {
                key_raw(out, b",\"upstream_addr\":", u.addr);
                out.extend_from_slice(b",\"upstream_status\":\"");
                push_u64(out, u64::from(u.status));
                out.extend_from_slice(b"\",\"upstream_response_time\":\"");
                push_secs(out, u.ms);
                out.push(b'"');
            }
            None => out.extend_from_slice(
                b",\"upstream_addr\":\"\",\"upstream_status\":\"\",\"upstream_response_time\":\"\"",
            ),
        }
        key_str(out, b",\"ua\":", ev.ua);
        key_raw(out, b",\"auth_subject\":", ev.subject);
        out.extend_from_slice(b",\"fapi_interaction_id\":\"");
        if let Some(f) = ev.fapi {
            push_uuid(out, f);
        }
        out.push(b'"');
        key_raw(out, b",\"ssl_protocol\":", ev.tls_version);
        key_raw(out, b",\"ssl_cipher\":", ev.cipher);
        key_raw(out, b",\"sni\":", ev.host);
        match ev.cert {
            Some(c) => {
                out.extend_from_slice(b",\"client_verify\":\"SUCCESS\"");
                key_raw(out, b",\"client_s_dn\":", &c.subject);
                key_raw(out, b",\"client_i_dn\":", c.issuer);
                key_raw(out, b",\"client_serial\":", &c.serial);
                key_raw(out, b",\"client_fp_sha1\":", &c.fp_sha1);
                key_raw(out, b",\"client_v_end\":", c.not_after);
            }
            None => out.extend_from_slice(
                b",\"client_verify\":\"NONE\",\"client_s_dn\":\"\",\"client_i_dn\":\"\",\"client_serial\":\"\",\"client_fp_sha1\":\"\",\"client_v_end\":\"\"",
            ),
        }
        out.push(b'}');
    }

    fn combined(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(ev.ip.as_bytes());
        out.extend_from_slice(b" - ");
        clf_field(out, ev.remote_user);
        out.extend_from_slice(b" [");
        out.extend_from_slice(&self.clock.clf);
        out.extend_from_slice(b" +0000] \"");
        out.extend_from_slice(ev.method.as_bytes());
        out.push(b' ');
        clf_escape(out, &ev.uri);
        out.push(b' ');
        out.extend_from_slice(ev.proto.nginx().as_bytes());
        out.extend_from_slice(b"\" ");
        push_u64(out, u64::from(ev.status));
        out.push(b' ');
        push_u64(out, ev.body_bytes);
        out.extend_from_slice(b" \"");
        clf_field(out, ev.referer);
        out.extend_from_slice(b"\" \"");
        clf_field(out, ev.ua);
        out.push(b'"');
    }

    fn envoy_json(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"ts\":\"");
        out.extend_from_slice(&self.clock.iso);
        out.push(b'.');
        push_fixed3(out, Self::millis(ev));
        out.extend_from_slice(b"Z\",\"request_id\":\"");
        push_uuid(out, ev.request_id);
        key_raw(out, b"\",\"client\":", &ev.ip);
        out.extend_from_slice(b",\"peer\":\"");
        if ev.ip.contains(':') {
            out.push(b'[');
            out.extend_from_slice(ev.ip.as_bytes());
            out.push(b']');
        } else {
            out.extend_from_slice(ev.ip.as_bytes());
        }
        out.push(b':');
        push_u64(out, u64::from(ev.port));
        out.push(b'"');
        key_raw(out, b",\"method\":", ev.method);
        key_raw(out, b",\"authority\":", ev.host);
        key_str(out, b",\"path\":", &ev.uri);
        key_raw(out, b",\"protocol\":", ev.proto.envoy());
        out.extend_from_slice(b",\"status\":");
        push_u64(out, u64::from(ev.status));
        let (flags, details) = envoy_flags(ev);
        key_raw(out, b",\"flags\":", flags);
        key_raw(out, b",\"details\":", details);
        out.extend_from_slice(b",\"req_body_bytes\":");
        push_u64(out, ev.request_body);
        out.extend_from_slice(b",\"resp_body_bytes\":");
        push_u64(out, ev.body_bytes);
        out.extend_from_slice(b",\"duration_ms\":");
        push_u64(out, u64::from(ev.request_ms));
        out.extend_from_slice(b",\"upstream_ms\":");
        match &ev.upstream {
            Some(u) => {
                out.push(b'"');
                push_u64(out, u64::from(u.ms));
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"route\":");
        if ev.ep == Ep::Unknown {
            out.extend_from_slice(b"null");
        } else {
            json_str(out, ev.ep.info().route);
        }
        key_raw(out, b",\"tls_version\":", ev.tls_version);
        key_raw(out, b",\"sni\":", ev.host);
        match ev.cert {
            Some(c) => {
                key_raw(out, b",\"peer_subject\":", &c.subject);
                key_raw(out, b",\"peer_issuer\":", c.issuer);
                key_raw(out, b",\"peer_uri_san\":", &c.uri_san);
                key_raw(out, b",\"peer_fp256\":", &c.fp_sha256);
                out.extend_from_slice(b",\"peer_serial\":\"");
                out.extend(c.serial.bytes().map(|b| b.to_ascii_lowercase()));
                out.push(b'"');
            }
            None => out.extend_from_slice(
                b",\"peer_subject\":null,\"peer_issuer\":null,\"peer_uri_san\":null,\"peer_fp256\":null,\"peer_serial\":null",
            ),
        }
        out.extend_from_slice(b",\"jwt_sub\":");
        opt_str(out, ev.subject);
        out.extend_from_slice(b",\"jwt_client_id\":");
        opt_str(out, ev.client_id);
        out.push(b'}');
    }

    fn kong(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        let routed = ev.ep != Ep::Unknown;
        out.extend_from_slice(b"{\"request\":{\"id\":\"");
        push_hex128(out, ev.request_id);
        key_raw(out, b"\",\"method\":", ev.method);
        key_str(out, b",\"uri\":", &ev.uri);
        out.extend_from_slice(b",\"url\":\"https://");
        json_escape(out, ev.host);
        out.extend_from_slice(b":8443");
        json_escape(out, &ev.uri);
        out.extend_from_slice(b"\",\"querystring\":{");
        self.querystring(&ev.uri, out);
        key_raw(out, b"},\"headers\":{\"host\":", ev.host);
        key_str(out, b",\"user-agent\":", ev.ua);
        out.extend_from_slice(b",\"accept\":\"application/json\"");
        if ev.authorization {
            out.extend_from_slice(b",\"authorization\":\"REDACTED\"");
        }
        if let Some(f) = ev.fapi {
            out.extend_from_slice(b",\"x-fapi-interaction-id\":\"");
            push_uuid(out, f);
            out.push(b'"');
        }
        if !ev.referer.is_empty() {
            key_str(out, b",\"referer\":", ev.referer);
        }
        out.extend_from_slice(b"},\"size\":");
        push_u64(out, ev.request_length);
        key_raw(out, b",\"tls\":{\"version\":", ev.tls_version);
        key_raw(out, b",\"cipher\":", ev.cipher);
        out.extend_from_slice(if ev.cert.is_some() {
            b",\"client_verify\":\"SUCCESS\"}},"
        } else {
            b",\"client_verify\":\"NONE\"}},"
        });
        key_str(out, b"\"upstream_uri\":", &ev.uri);
        if let Some(u) = &ev.upstream {
            out.extend_from_slice(b",\"upstream_status\":\"");
            push_u64(out, u64::from(u.status));
            out.push(b'"');
        }
        out.extend_from_slice(b",\"response\":{\"status\":");
        push_u64(out, u64::from(ev.status));
        out.extend_from_slice(b",\"size\":");
        push_u64(out, ev.body_bytes + ev.header_bytes);
        out.extend_from_slice(b",\"headers\":{\"content-type\":\"");
        out.extend_from_slice(if ev.gateway_reply && ev.status == 404 {
            b"text/html; charset=utf-8".as_slice()
        } else {
            b"application/json".as_slice()
        });
        out.extend_from_slice(b"\",\"content-length\":\"");
        push_u64(out, ev.body_bytes);
        out.push(b'"');
        let proxy_ms = ev.upstream.map(|u| u.ms);
        if let Some(ms) = proxy_ms {
            out.extend_from_slice(b",\"x-kong-upstream-latency\":\"");
            push_u64(out, u64::from(ms));
            out.push(b'"');
        }
        let kong_ms = ev.request_ms - proxy_ms.unwrap_or(0).min(ev.request_ms);
        out.extend_from_slice(b",\"x-kong-proxy-latency\":\"");
        push_u64(out, u64::from(kong_ms));
        out.extend_from_slice(b"\"}},\"latencies\":{\"kong\":");
        push_u64(out, u64::from(kong_ms));
        out.extend_from_slice(b",\"proxy\":");
        match proxy_ms {
            Some(ms) => push_u64(out, u64::from(ms)),
            None => out.extend_from_slice(b"-1"),
        }
        out.extend_from_slice(b",\"request\":");
        push_u64(out, u64::from(ev.request_ms));
        out.extend_from_slice(b",\"receive\":0}");
        if let Some(u) = &ev.upstream {
            key_raw(out, b",\"tries\":[{\"ip\":", u.ip);
            out.extend_from_slice(b",\"port\":");
            push_u64(out, u64::from(u.port));
            out.extend_from_slice(b",\"balancer_latency\":0}]");
        }
        if !ev.subject.is_empty() {
            let consumer = name_uuid(ev.subject, 1);
            out.extend_from_slice(b",\"authenticated_entity\":{\"id\":\"");
            push_uuid(out, name_uuid(ev.subject, 2));
            out.extend_from_slice(b"\",\"consumer_id\":\"");
            push_uuid(out, consumer);
            out.extend_from_slice(b"\"},\"consumer\":{\"id\":\"");
            push_uuid(out, consumer);
            key_raw(out, b"\",\"username\":", ev.subject);
            if !ev.custom_id.is_empty() {
                key_raw(out, b",\"custom_id\":", ev.custom_id);
            }
            out.push(b'}');
        }
        if routed {
            let info = ev.ep.info();
            let svc = info.svc.info();
            out.extend_from_slice(b",\"route\":{\"id\":\"");
            push_uuid(out, name_uuid(info.route, 3));
            key_raw(out, b"\",\"name\":", info.route);
            key_raw(out, b",\"paths\":[", info.prefix);
            out.extend_from_slice(b"]},\"service\":{\"id\":\"");
            push_uuid(out, name_uuid(svc.name, 4));
            key_raw(out, b"\",\"name\":", svc.name);
            key_raw(out, b",\"host\":", svc.host);
            out.extend_from_slice(b",\"port\":");
            push_u64(out, u64::from(svc.upstreams[0].1));
            out.push(b'}');
        }
        key_raw(out, b",\"client_ip\":", &ev.ip);
        out.extend_from_slice(b",\"started_at\":");
        push_i64(out, ev.time_ms);
        out.extend_from_slice(if ev.gateway_reply {
            b",\"source\":\"kong\"".as_slice()
        } else {
            b",\"source\":\"upstream\"".as_slice()
        });
        out.extend_from_slice(
            b",\"workspace\":\"0f4c1b9e-6d2a-4b8e-9c3f-5a7d1e2b3c4d\",\"workspace_name\":\"default\"}",
        );
    }

    /// Kong's `querystring`: decoded names and values; a name without `=` is `true`.
    fn querystring(&mut self, uri: &str, out: &mut Vec<u8>) {
        let Some((_, query)) = uri.split_once('?') else {
            return;
        };
        let mut first = true;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            if !first {
                out.push(b',');
            }
            first = false;
            let (k, v) = match pair.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (pair, None),
            };
            percent_decode(k, &mut self.scratch);
            json_str(out, &String::from_utf8_lossy(&self.scratch));
            out.push(b':');
            match v {
                Some(v) => {
                    percent_decode(v, &mut self.scratch);
                    json_str(out, &String::from_utf8_lossy(&self.scratch));
                }
                None => out.extend_from_slice(b"true"),
            }
        }
    }
}

fn envoy_flags(ev: &Event<'_>) -> (&'static str, &'static str) {
    if ev.ep == Ep::Unknown {
        ("NR", "route_not_found")
    } else if ev.status == 429 {
        ("RL", "request_rate_limited")
    } else if ev.status == 504 {
        ("UT", "upstream_response_timeout")
    } else {
        ("-", "via_upstream")
    }
}

/// A stable UUID for a name (Kong entity ids).
fn name_uuid(name: &str, salt: u64) -> u128 {
    let mut h = hash_str(name) ^ salt;
    let hi = splitmix64(&mut h);
    let lo = splitmix64(&mut h);
    (u128::from(hi) << 64) | u128::from(lo)
}

fn percent_decode(s: &str, out: &mut Vec<u8>) {
    linkwell_core::pct::decode_into(s, true, out);
}

/// `prefix`, then `s` quoted: for values the simulator made itself (addresses,
/// ids, names), which never need escaping.
fn key_raw(out: &mut Vec<u8>, prefix: &[u8], s: &str) {
    debug_assert!(
        !s.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\'),
        "{s}"
    );
    out.extend_from_slice(prefix);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// `prefix` (which ends with `:`), then `s` as a JSON string.
fn key_str(out: &mut Vec<u8>, prefix: &[u8], s: &str) {
    out.extend_from_slice(prefix);
    json_str(out, s);
}

fn opt_str(out: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        json_str(out, s);
    }
}

pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    json_escape(out, s);
    out.push(b'"');
}

/// JSON string escaping as NGINX `escape=json` does it.
fn json_escape(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    // Branch-free scan (vectorises); nearly every value is clean.
    let dirty = b.iter().fold(false, |acc, &c| {
        acc | (c < 0x20) | (c == b'"') | (c == b'\\')
    });
    if !dirty {
        out.extend_from_slice(b);
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1F => {
                out.extend_from_slice(&b[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX_UPPER[usize::from(c >> 4)]);
                out.push(HEX_UPPER[usize::from(c & 0xF)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// NGINX default log escaping: `"`, `\`, and bytes outside 32..=126 as `\xXX`.
fn clf_escape(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let dirty = b.iter().fold(false, |acc, &c| {
        acc | !(32..=126).contains(&c) | (c == b'"') | (c == b'\\')
    });
    if !dirty {
        out.extend_from_slice(b);
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' || c == b'\\' || !(32..=126).contains(&c) {
            out.extend_from_slice(&b[start..i]);
            out.extend_from_slice(b"\\x");
            out.push(HEX_UPPER[usize::from(c >> 4)]);
            out.push(HEX_UPPER[usize::from(c & 0xF)]);
            start = i + 1;
        }
    }
    out.extend_from_slice(&b[start..]);
}

/// A CLF field: `-` when empty.
fn clf_field(out: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        out.push(b'-');
    } else {
        clf_escape(out, s);
    }
}

pub(crate) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

fn push_fixed3(out: &mut Vec<u8>, v: u64) {
    out.push(b'0' + (v / 100 % 10) as u8);
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// Milliseconds as seconds with three decimals (`0.057`).
fn push_secs(out: &mut Vec<u8>, ms: u32) {
    push_u64(out, u64::from(ms / 1000));
    out.push(b'.');
    push_fixed3(out, u64::from(ms % 1000));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut v = Vec::new();
        json_str(&mut v, s);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn json_escaping_round_trips() {
        for s in [
            "plain",
            "a\"b\\c",
            "tab\there",
            "\u{1}ctl",
            "<script>'x'</script>",
        ] {
            let back: String = serde_json::from_str(&esc(s)).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn clf_escaping() {
        let mut v = Vec::new();
        clf_escape(&mut v, "a\"b\\c\u{7f}");
        assert_eq!(v, b"a\\x22b\\x5Cc\\x7F");
    }

    #[test]
    fn numbers_and_decoding() {
        let mut v = Vec::new();
        push_u64(&mut v, 0);
        v.push(b' ');
        push_u64(&mut v, 18_446_744_073_709_551_615);
        v.push(b' ');
        push_secs(&mut v, 57);
        v.push(b' ');
        push_secs(&mut v, 12_345);
        assert_eq!(v, b"0 18446744073709551615 0.057 12.345");
        let mut d = Vec::new();
        percent_decode("a%20b+c%3Cscript%3E%zz%4", &mut d);
        assert_eq!(d, b"a b c<script>%zz%4");
    }

    #[test]
    fn clock_formats() {
        let mut c = Clock::new();
        c.set(1_772_446_530);
        assert_eq!(&c.iso, b"2026-03-02T10:15:30");
        assert_eq!(&c.clf, b"02/Mar/2026:10:15:30");
    }
}
