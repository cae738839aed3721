//! Enrichment: what the engine knows about a call's client beyond the call.
//!
//! Gateways and CDNs often say where a client is (Cloudflare's
//! `ClientCountry`, `ClientASN`); where they do not, the configured
//! MaxMind-format databases may (GeoLite2 or DB-IP Lite, City and ASN), and
//! the threat-intelligence lists say whether the address is a Tor exit, a
//! scanner, a cloud range or on the organisation's deny list. Detectors read
//! the result from [`CallContext::enrich`](crate::CallContext) and never look
//! anything up themselves, so every detector sees the same answer for a call.
//!
//! Everything is optional: without databases and lists the enrichment is
//! the gateway's fields or nothing, and every detector still works.
//!
//! **Reload.** An [`Enricher`] is immutable apart from its lookup cache.
//! To reload a database or a list, build a new one from the new bytes
//! ([`EnricherBuilder`]) and hand it to
//! [`Engine::set_enricher`](crate::Engine::set_enricher): the next call sees
//! the new data, no call sees half of it. Watching files is the binary's job.

pub mod geo;
pub mod intel;

use std::net::IpAddr;
use std::sync::Arc;

use linkwell_core::{CallRecord, Severity};
use serde::Deserialize;

use crate::fasthash::FastState;
use crate::state::GenMap;
use geo::{AsnAnswer, CityAnswer, DbRole, Mmdb};
pub use intel::{BadLine, IntelHits, IntelKind, IntelSet, ListInfo, ListReport};

/// An ISO 3166-1 alpha-2 country code, upper case. Two bytes, so copying it
/// into per-client state costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// Accepts two ASCII letters in either case; anything else (Cloudflare's
    /// `XX` for unknown, `T1` for Tor) is not a country.
    pub fn parse(s: &str) -> Option<Country> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                let c = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
                (c != *b"XX").then_some(Country(c))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        // Built from two ASCII letters only.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

/// A place on the globe as a geolocation database guesses it. `f32` is
/// ample (about a metre) for guesses whose radius is kilometres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    pub lat: f32,
    pub lon: f32,
    /// How far off the guess may be, in km (0 when the database does not say).
    pub radius_km: u16,
}

impl GeoPoint {
    /// None for coordinates off the globe (a damaged record).
    pub fn new(lat: f64, lon: f64, radius_km: u16) -> Option<GeoPoint> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some(GeoPoint {
            lat: lat as f32,
            lon: lon as f32,
            radius_km,
        })
    }

    /// Great-circle distance in km (haversine, mean Earth radius).
    pub fn distance_km(&self, other: &GeoPoint) -> f64 {
        let (la1, lo1) = (
            f64::from(self.lat).to_radians(),
            f64::from(self.lon).to_radians(),
        );
        let (la2, lo2) = (
            f64::from(other.lat).to_radians(),
            f64::from(other.lon).to_radians(),
        );
        let a = ((la2 - la1) / 2.0).sin().powi(2)
            + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().min(1.0).asin()
    }
}

/// The enrichment of one call. Filling it allocates nothing: names are
/// shared (`Arc<str>`) from the lookup cache.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enrichment {
    pub country: Option<Country>,
    pub asn: Option<u32>,
    /// The AS organisation ("Hetzner Online GmbH"), from the ASN database.
    pub as_org: Option<Arc<str>>,
    /// City name in English, from the City database.
    pub city: Option<Arc<str>>,
    pub location: Option<GeoPoint>,
    /// The threat-intelligence lists the client address is on.
    pub intel: IntelHits,
    /// The gateway itself says the client is a Tor exit (Cloudflare's
    /// `ClientCountry` of `T1`), with or without a Tor list configured.
    pub gateway_tor: bool,
}

impl Enrichment {
    /// Nothing known (usable in statics).
    pub const EMPTY: Enrichment = Enrichment {
        country: None,
        asn: None,
        as_org: None,
        city: None,
        location: None,
        intel: IntelHits::NONE,
        gateway_tor: false,
    };
}

/// Why enrichment sources could not be loaded. Loading fails loudly: a
/// database the user named but that cannot be read must not silently
/// become "no geolocation".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrichError {
    #[error("the {role} database is not a readable MaxMind DB file: {reason}")]
    Database { role: &'static str, reason: String },
    #[error("the {role} database is of type '{database_type}', not a {role} database")]
    WrongDatabase {
        role: &'static str,
        database_type: String,
    },
    #[error("more than {max} threat-intelligence lists")]
    TooManyLists { max: usize },
    #[error("threat-intelligence list '{name}' is named twice")]
    DuplicateList { name: String },
}

/// `[engine.enrich]`: where enrichment comes from. The engine only holds
/// these settings; the scan pipeline or the binary reads the files.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EnrichConfig {
    /// A MaxMind-format City (or Country) database: GeoLite2-City,
    /// DB-IP City Lite. Relative paths are relative to the config file.
    pub city_db: Option<String>,
    /// A MaxMind-format ASN database: GeoLite2-ASN, DB-IP ASN Lite.
    pub asn_db: Option<String>,
    /// Threat-intelligence lists, one address or CIDR per line.
    pub intel: Vec<IntelListConfig>,
    /// Addresses whose lookups are remembered (repeat clients cost one hash
    /// lookup instead of a database walk).
    pub cache_entries: usize,
    /// A client is reported once per list within this many seconds.
    pub intel_repeat_secs: u32,
}

impl Default for EnrichConfig {
    fn default() -> Self {
        EnrichConfig {
            city_db: None,
            asn_db: None,
            intel: Vec::new(),
            cache_entries: 65_536,
            intel_repeat_secs: 3600,
        }
    }
}

/// One `[[engine.enrich.intel]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntelListConfig {
    /// Named in findings ("tor-exits", "spamhaus-drop").
    pub name: String,
    pub kind: IntelKind,
    pub path: String,
    /// Overrides the kind's default severity.
    #[serde(default)]
    pub severity: Option<Severity>,
}

/// The lookups for one address, shared by its calls.
#[derive(Debug, Clone, Default)]
struct Cached {
    city: CityAnswer,
    asn: AsnAnswer,
    intel: u64,
}

/// Fills an [`Enrichment`] for each call.
#[derive(Default)]
pub struct Enricher {
    city: Option<Mmdb>,
    asn: Option<Mmdb>,
    intel: IntelSet,
    cache: Option<GenMap<IpAddr, Cached, FastState>>,
    lookup_errors: u64,
}

/// Builds an [`Enricher`] from bytes and texts the caller read.
#[derive(Debug, Default)]
pub struct EnricherBuilder {
    city: Option<Mmdb>,
    asn: Option<Mmdb>,
    intel: intel::IntelSetBuilder,
    cache_entries: Option<usize>,
}

impl EnricherBuilder {
    /// A City (or Country) database's bytes.
    pub fn city_db(&mut self, bytes: Vec<u8>) -> Result<&mut Self, EnrichError> {
        self.city = Some(Mmdb::open(DbRole::City, bytes)?);
        Ok(self)
    }

    /// An ASN database's bytes.
    pub fn asn_db(&mut self, bytes: Vec<u8>) -> Result<&mut Self, EnrichError> {
        self.asn = Some(Mmdb::open(DbRole::Asn, bytes)?);
        Ok(self)
    }

    /// One list's text; the report lists its bad lines.
    pub fn intel_list(
        &mut self,
        name: &str,
        kind: IntelKind,
        severity: Option<Severity>,
        text: &str,
    ) -> Result<ListReport, EnrichError> {
        self.intel.add_list(name, kind, severity, text)
    }

    pub fn cache_entries(&mut self, n: usize) -> &mut Self {
        self.cache_entries = Some(n);
        self
    }

    pub fn build(self) -> Enricher {
        let intel = self.intel.build();
        let any = self.city.is_some() || self.asn.is_some() || !intel.is_empty();
        let cap = self.cache_entries.unwrap_or(65_536);
        Enricher {
            city: self.city,
            asn: self.asn,
            intel,
            cache: (any && cap > 0).then(|| GenMap::new(cap)),
            lookup_errors: 0,
        }
    }
}

impl std::fmt::Debug for Enricher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enricher")
            .field("city", &self.city)
            .field("asn", &self.asn)
            .field("intel_lists", &self.intel.lists().len())
            .field("cached", &self.cache.as_ref().map_or(0, GenMap::len))
            .finish()
    }
}

impl Enricher {
    pub fn builder() -> EnricherBuilder {
        EnricherBuilder::default()
    }

    /// The database types loaded (`GeoLite2-City`, `GeoLite2-ASN`), for logs.
    pub fn databases(&self) -> Vec<String> {
        self.city
            .iter()
            .chain(self.asn.iter())
            .map(|d| d.database_type().to_string())
            .collect()
    }

    pub fn intel(&self) -> &IntelSet {
        &self.intel
    }

    /// Records a database could not decode (a damaged file); such calls are
    /// enriched as if the database had no answer.
    pub fn lookup_errors(&self) -> u64 {
        self.lookup_errors
    }

    fn lookup(&mut self, ip: IpAddr) -> Cached {
        let mut c = Cached::default();
        if let Some(db) = &self.city {
            match db.city(ip) {
                Ok(a) => c.city = a,
                Err(_) => self.lookup_errors += 1,
            }
        }
        if let Some(db) = &self.asn {
            match db.asn(ip) {
                Ok(a) => c.asn = a,
                Err(_) => self.lookup_errors += 1,
            }
        }
        c.intel = self.intel.mask(ip);
        c
    }

    /// Gateway-supplied facts win: the gateway saw the connection, while a
    /// database is a guess that ages. When the gateway names a different
    /// country or AS than the database, the database's city, coordinates
    /// and AS name are dropped rather than mixed with the gateway's answer.
    pub fn enrich(&mut self, call: &CallRecord<'_>, out: &mut Enrichment) {
        let gw_country = call.country.as_deref().and_then(Country::parse);
        out.country = gw_country;
        out.asn = call.asn;
        out.city = None;
        out.location = None;
        out.as_org = None;
        out.intel.mask = 0;
        out.gateway_tor = call
            .country
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("t1"));
        let (Some(ip), Some(cache)) = (call.client_ip, self.cache.as_mut()) else {
            return;
        };
        let ip = ip.to_canonical();
        // A hit is one probe: hot addresses are not promoted, so an address
        // is looked up again once per cache generation, which is cheap
        // next to promoting on every call.
        let c = if let Some(c) = cache.get(&ip) {
            c.clone()
        } else {
            let c = self.lookup(ip);
            if let Some(cache) = self.cache.as_mut() {
                *cache.entry(ip, Cached::default) = c.clone();
            }
            c
        };
        if gw_country.is_none() || gw_country == c.city.country {
            out.country = out.country.or(c.city.country);
            out.city = c.city.city;
            out.location = c.city.location;
        }
        if call.asn.is_none() || call.asn == c.asn.asn {
            out.asn = out.asn.or(c.asn.asn);
            out.as_org = c.asn.org;
        }
        out.intel.mask = c.intel;
        if out.intel.catalog.as_ref().map(Arc::as_ptr) != self.intel.catalog().map(Arc::as_ptr) {
            out.intel.catalog = self.intel.catalog().cloned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes() {
        assert_eq!(
            Country::parse("de").map(|c| c.as_str().to_string()),
            Some("DE".into())
        );
        assert_eq!(Country::parse("XX"), None);
        assert_eq!(Country::parse("DEU"), None);
        assert_eq!(Country::parse("1A"), None);
    }

    #[test]
    fn distances() {
        let berlin = GeoPoint::new(52.52, 13.405, 10);
        let sydney = GeoPoint::new(-33.87, 151.21, 10);
        let d = berlin.zip(sydney).map(|(a, b)| a.distance_km(&b));
        assert!(
            d.is_some_and(|d| (16_000.0..16_200.0).contains(&d)),
            "{d:?}"
        );
        assert!(GeoPoint::new(91.0, 0.0, 0).is_none());
    }

    #[test]
    fn gateway_fields_without_sources() {
        let mut e = Enricher::default();
        let call = CallRecord {
            client_ip: "203.0.113.9".parse().ok(),
            country: Some("fr".into()),
            asn: Some(64_500),
            ..Default::default()
        };
        let mut out = Enrichment::default();
        e.enrich(&call, &mut out);
        assert_eq!(
            out.country.map(|c| c.as_str().to_string()),
            Some("FR".into())
        );
        assert_eq!(out.asn, Some(64_500));
        assert!(out.intel.is_empty());
        assert!(!out.gateway_tor);
        let tor = CallRecord {
            country: Some("T1".into()),
            ..Default::default()
        };
        e.enrich(&tor, &mut out);
        assert!(out.gateway_tor && out.country.is_none());
    }

    #[test]
    fn corrupt_database_is_an_error() {
        let mut b = Enricher::builder();
        let err = b.city_db(b"not a database at all".to_vec()).err();
        assert!(
            matches!(err, Some(EnrichError::Database { role: "city", .. })),
            "{err:?}"
        );
        let err = b.asn_db(Vec::new()).err();
        assert!(
            matches!(err, Some(EnrichError::Database { role: "asn", .. })),
            "{err:?}"
        );
    }
}
