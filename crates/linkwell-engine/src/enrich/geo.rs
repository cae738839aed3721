//! MaxMind-format databases (GeoLite2, GeoIP2, DB-IP Lite): City and ASN.
//!
//! The engine takes the database bytes, never a path: the caller (scan
//! pipeline, binary) reads the file, so the engine stays free of I/O and a
//! reload is just building a new [`Enricher`](super::Enricher) from new bytes.
//!
//! Records are decoded into small borrowed structs that name only the fields
//! the engine uses; everything else in a record (names in other languages,
//! postal codes, subdivisions) is skipped by the decoder without allocating.

use std::net::IpAddr;
use std::sync::Arc;

use maxminddb::Reader;
use serde::Deserialize;

use super::{Country, EnrichError, GeoPoint};

/// What a City database says about an address.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CityAnswer {
    pub(crate) country: Option<Country>,
    pub(crate) city: Option<Arc<str>>,
    pub(crate) location: Option<GeoPoint>,
}

/// What an ASN database says about an address.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AsnAnswer {
    pub(crate) asn: Option<u32>,
    pub(crate) org: Option<Arc<str>>,
}

#[derive(Deserialize)]
struct CityRecord<'a> {
    #[serde(borrow, default)]
    country: Option<CountryRecord<'a>>,
    /// Anycast and satellite ranges have no `country`, only where they are registered.
    #[serde(borrow, default)]
    registered_country: Option<CountryRecord<'a>>,
    #[serde(borrow, default)]
    city: Option<Named<'a>>,
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow, default)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize)]
struct Names<'a> {
    #[serde(borrow, default)]
    en: Option<&'a str>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    /// Kilometres; GeoLite2 answers 1000 for a country-level guess.
    #[serde(default)]
    accuracy_radius: Option<u16>,
}

#[derive(Deserialize)]
struct AsnRecord<'a> {
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(borrow, default)]
    autonomous_system_organization: Option<&'a str>,
}

/// Which of the two databases a slot holds; used to refuse a swapped pair
/// (an ASN file named as the City database answers nothing, silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbRole {
    City,
    Asn,
}

impl DbRole {
    pub fn name(self) -> &'static str {
        match self {
            DbRole::City => "city",
            DbRole::Asn => "asn",
        }
    }
}

/// One opened MaxMind-format database.
pub(crate) struct Mmdb {
    reader: Reader<Vec<u8>>,
    ipv6: bool,
}

impl std::fmt::Debug for Mmdb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mmdb")
            .field("type", &self.reader.metadata().database_type)
            .finish()
    }
}

impl Mmdb {
    pub(crate) fn open(role: DbRole, bytes: Vec<u8>) -> Result<Self, EnrichError> {
        let reader = Reader::from_source(bytes).map_err(|e| EnrichError::Database {
            role: role.name(),
            reason: e.to_string(),
        })?;
        let ty = reader.metadata().database_type.to_ascii_lowercase();
        let looks_asn = ty.contains("asn") || ty.contains("isp");
        let looks_geo = ty.contains("city") || ty.contains("country");
        match role {
            DbRole::City if looks_asn && !looks_geo => {
                return Err(EnrichError::WrongDatabase {
                    role: role.name(),
                    database_type: reader.metadata().database_type.clone(),
                });
            }
            DbRole::Asn if looks_geo && !looks_asn => {
                return Err(EnrichError::WrongDatabase {
                    role: role.name(),
                    database_type: reader.metadata().database_type.clone(),
                });
            }
            _ => {}
        }
        let ipv6 = reader.metadata().ip_version == 6;
        Ok(Mmdb { reader, ipv6 })
    }

    pub(crate) fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// `Err` only for a record the database cannot decode (a damaged file);
    /// an address the database does not cover is `Ok(None)`.
    fn decode<'a, T: Deserialize<'a>>(&'a self, ip: IpAddr) -> Result<Option<T>, String> {
        // An IPv4-only database cannot answer for IPv6 clients: that is
        // "not covered", not an error.
        if !self.ipv6 && ip.is_ipv6() {
            return Ok(None);
        }
        let found = self.reader.lookup(ip).map_err(|e| e.to_string())?;
        found.decode::<T>().map_err(|e| e.to_string())
    }

    pub(crate) fn city(&self, ip: IpAddr) -> Result<CityAnswer, String> {
        let Some(rec) = self.decode::<CityRecord<'_>>(ip)? else {
            return Ok(CityAnswer::default());
        };
        let country = rec
            .country
            .and_then(|c| c.iso_code)
            .or(rec.registered_country.and_then(|c| c.iso_code))
            .and_then(Country::parse);
        let city = rec
            .city
            .and_then(|c| c.names)
            .and_then(|n| n.en)
            .filter(|s| !s.is_empty())
            .map(Arc::from);
        let location = rec.location.and_then(|l| {
            let (lat, lon) = (l.latitude?, l.longitude?);
            GeoPoint::new(lat, lon, l.accuracy_radius.unwrap_or(0))
        });
        Ok(CityAnswer {
            country,
            city,
            location,
        })
    }

    pub(crate) fn asn(&self, ip: IpAddr) -> Result<AsnAnswer, String> {
        let Some(rec) = self.decode::<AsnRecord<'_>>(ip)? else {
            return Ok(AsnAnswer::default());
        };
        Ok(AsnAnswer {
            asn: rec.autonomous_system_number.filter(|n| *n != 0),
            org: rec
                .autonomous_system_organization
                .filter(|s| !s.is_empty())
                .map(Arc::from),
        })
    }
}
