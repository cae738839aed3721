//! A minimal MaxMind DB writer, so tests build the small City and ASN
//! databases they need instead of shipping binary files.
//!
//! The format: a binary search tree over the address bits (32-bit records
//! here: each node is two big-endian u32, left for a 0 bit, right for a 1),
//! 16 zero bytes, the data section (MaxMind DB typed values), then the
//! marker `\xAB\xCD\xEFMaxMind.com` and the metadata map. A record equal to
//! the node count means "no data"; above it, it points into the data section
//! at `record - node_count - 16`. IPv6 databases hold IPv4 under `::/96`.

#![allow(dead_code)]

use std::net::IpAddr;

/// A MaxMind DB value (the subset the engine reads, plus what metadata needs).
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(String),
    Double(f64),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(String, Value)>),
    Array(Vec<Value>),
    Bool(bool),
}

pub(crate) fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

pub(crate) fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// A GeoLite2-City-shaped record.
pub(crate) fn city(country: &str, name: &str, lat: f64, lon: f64, radius_km: u16) -> Value {
    map(&[
        (
            "city",
            map(&[("names", map(&[("en", s(name)), ("de", s(name))]))]),
        ),
        ("continent", map(&[("code", s("EU"))])),
        (
            "country",
            map(&[("iso_code", s(country)), ("geoname_id", Value::U32(1))]),
        ),
        (
            "location",
            map(&[
                ("accuracy_radius", Value::U16(radius_km)),
                ("latitude", Value::Double(lat)),
                ("longitude", Value::Double(lon)),
                ("time_zone", s("Europe/Berlin")),
            ]),
        ),
        (
            "subdivisions",
            Value::Array(vec![map(&[("iso_code", s("X"))])]),
        ),
    ])
}

/// A GeoLite2-ASN-shaped record.
pub(crate) fn asn(number: u32, org: &str) -> Value {
    map(&[
        ("autonomous_system_number", Value::U32(number)),
        ("autonomous_system_organization", s(org)),
    ])
}

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(u32),
    Data(u32),
}

pub(crate) struct Writer {
    database_type: String,
    ip_version: u16,
    nodes: Vec<[Rec; 2]>,
    data: Vec<u8>,
}

fn ctrl(out: &mut Vec<u8>, ty: u8, size: usize) {
    let (first, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 29 + 256 {
        (29, vec![(size - 29) as u8])
    } else if size < 285 + 65_536 {
        let n = size - 285;
        (30, vec![(n >> 8) as u8, n as u8])
    } else {
        let n = size - 65_821;
        (31, vec![(n >> 16) as u8, (n >> 8) as u8, n as u8])
    };
    if ty <= 7 {
        out.push((ty << 5) | first);
    } else {
        out.push(first);
        out.push(ty - 7);
    }
    out.extend(extra);
}

fn minimal_be(v: u64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|x| **x == 0).count();
    b[skip..].to_vec()
}

pub(crate) fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Str(s) => {
            ctrl(out, 2, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Double(d) => {
            ctrl(out, 3, 8);
            out.extend_from_slice(&d.to_be_bytes());
        }
        Value::U16(n) => {
            let b = minimal_be(u64::from(*n));
            ctrl(out, 5, b.len());
            out.extend(b);
        }
        Value::U32(n) => {
            let b = minimal_be(u64::from(*n));
            ctrl(out, 6, b.len());
            out.extend(b);
        }
        Value::U64(n) => {
            let b = minimal_be(*n);
            ctrl(out, 9, b.len());
            out.extend(b);
        }
        Value::Map(pairs) => {
            ctrl(out, 7, pairs.len());
            for (k, v) in pairs {
                encode(&Value::Str(k.clone()), out);
                encode(v, out);
            }
        }
        Value::Array(items) => {
            ctrl(out, 11, items.len());
            for v in items {
                encode(v, out);
            }
        }
        Value::Bool(b) => ctrl(out, 14, usize::from(*b)),
    }
}

impl Writer {
    pub(crate) fn new(database_type: &str, ip_version: u16) -> Self {
        Writer {
            database_type: database_type.to_string(),
            ip_version,
            nodes: vec![[Rec::Empty, Rec::Empty]],
            data: Vec::new(),
        }
    }

    /// Inserts `cidr` (IPv4 or IPv6; IPv4 goes under `::/96` in an IPv6 tree).
    pub(crate) fn insert(&mut self, cidr: &str, value: &Value) -> &mut Self {
        let (addr, len) = cidr.split_once('/').unwrap_or((cidr, ""));
        let ip: IpAddr = addr.parse().expect("address");
        // The address's bits, left-aligned in 128 bits so bit `depth` of the
        // tree is bit `127 - depth` here.
        let bits: u128 = match ip {
            IpAddr::V4(v4) if self.ip_version == 4 => u128::from(u32::from(v4)) << 96,
            IpAddr::V4(v4) => u128::from(u32::from(v4)),
            IpAddr::V6(v6) => {
                assert_eq!(self.ip_version, 6, "IPv6 network in an IPv4 database");
                u128::from(v6)
            }
        };
        let mut plen: u32 = if len.is_empty() {
            if ip.is_ipv4() { 32 } else { 128 }
        } else {
            len.parse().expect("prefix length")
        };
        if ip.is_ipv4() && self.ip_version == 6 {
            plen += 96;
        }
        let offset = self.data.len() as u32;
        encode(value, &mut self.data);
        let mut node = 0usize;
        for depth in 0..plen {
            let bit = ((bits >> (127 - depth)) & 1) as usize;
            if depth + 1 == plen {
                self.nodes[node][bit] = Rec::Data(offset);
                break;
            }
            node = match self.nodes[node][bit] {
                Rec::Node(n) => n as usize,
                _ => {
                    self.nodes.push([Rec::Empty, Rec::Empty]);
                    let n = self.nodes.len() - 1;
                    self.nodes[node][bit] = Rec::Node(n as u32);
                    n
                }
            };
        }
        self
    }

    pub(crate) fn finish(&self) -> Vec<u8> {
        let count = self.nodes.len() as u32;
        let mut out = Vec::new();
        for n in &self.nodes {
            for r in n {
                let v = match *r {
                    Rec::Empty => count,
                    Rec::Node(i) => i,
                    Rec::Data(off) => count + 16 + off,
                };
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        let meta = map(&[
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_772_400_000)),
            ("database_type", s(&self.database_type)),
            ("description", map(&[("en", s("Linkwell test database"))])),
            ("ip_version", Value::U16(self.ip_version)),
            ("languages", Value::Array(vec![s("en")])),
            ("node_count", Value::U32(count)),
            ("record_size", Value::U16(32)),
        ]);
        encode(&meta, &mut out);
        out
    }
}
