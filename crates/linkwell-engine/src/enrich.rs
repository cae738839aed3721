//! Enrichment: what the engine knows about a call's client beyond the call.
//!
//! Gateways and CDNs often say where a client is (Cloudflare's
//! `ClientCountry`, `ClientASN`); where they do not, the configured
//! geolocation databases may. Detectors read the result from
//! [`CallContext::enrich`](crate::CallContext) and never look anything up
//! themselves, so every detector sees the same answer for a call.

use linkwell_core::CallRecord;

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

/// The enrichment of one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enrichment {
    pub country: Option<Country>,
    pub asn: Option<u32>,
}

/// Fills an [`Enrichment`] for each call.
#[derive(Debug, Default)]
pub struct Enricher {}

impl Enricher {
    /// Gateway-supplied facts win: the gateway saw the connection.
    pub fn enrich(&self, call: &CallRecord<'_>, out: &mut Enrichment) {
        out.country = call.country.as_deref().and_then(Country::parse);
        out.asn = call.asn;
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
}
