//! Impossible travel (OWASP API2:2023 Broken Authentication): one identity
//! calling from two places farther apart than anyone can travel in the time
//! between the calls. Either the credential is shared or someone else holds
//! it. The speed comes from [`Features::travel`](crate::Features), which
//! already subtracted both locations' accuracy radii, so coarse guesses
//! (a country-level fix with a 1000 km radius) do not make a finding.
//!
//! Services are not people: when either end is on a cloud or allow list the
//! identity is a deployment in several regions, and nothing is reported.

use linkwell_core::sketch::fmix64;
use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::{Detector, Draft};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::features::{fast_hash, travel_identity};
use crate::state::{Namespace, SharedState};

const REPORTED: Namespace = Namespace::new("travel.reported");

pub(crate) struct ImpossibleTravel {
    max_kmh: f64,
    min_km: f64,
    repeat_secs: u32,
}

impl ImpossibleTravel {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        ImpossibleTravel {
            max_kmh: cfg.behaviour.travel_max_kmh,
            min_km: cfg.behaviour.travel_min_km,
            repeat_secs: cfg.behaviour.automation_repeat_secs,
        }
    }
}

fn place(city: Option<&str>, country: Option<crate::enrich::Country>) -> String {
    match (city, country) {
        (Some(c), Some(k)) => format!("{c} ({})", k.as_str()),
        (Some(c), None) => c.to_string(),
        (None, Some(k)) => k.as_str().to_string(),
        (None, None) => "an unnamed place".to_string(),
    }
}

impl Detector for ImpossibleTravel {
    fn name(&self) -> &'static str {
        "impossible-travel"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let Some(t) = &ctx.features.travel else {
            return;
        };
        if t.service || f64::from(t.km) < self.min_km || f64::from(t.kmh) <= self.max_kmh {
            return;
        }
        let Some(id) = travel_identity(ctx.call) else {
            return;
        };
        let now = ctx.call.time;
        let key = REPORTED.key(fmix64(fast_hash(id.as_bytes(), 0x7a)));
        if state.marked(key, now) {
            return;
        }
        state.mark(key, now, self.repeat_secs);
        let speed = if t.kmh.is_finite() {
            format!("{:.0} km/h", t.kmh)
        } else {
            "at the same instant".to_string()
        };
        let from = place(t.from_city.as_deref(), t.from_country);
        let here = place(ctx.enrich.city.as_deref(), ctx.enrich.country);
        out.push(
            Draft::new(FindingKind::Anomaly, Owasp::Api2, Severity::Medium, 0.6)
                .count("distance_km", t.km as u64)
                .count("elapsed_secs", u64::from(t.secs))
                .count(
                    "speed_kmh",
                    if t.kmh.is_finite() { t.kmh as u64 } else { u64::MAX },
                )
                .explain(format!(
                    "Impossible travel: '{id}' called from {here} {} s after calling from {from}, {:.0} km away ({speed}, beyond the {:.0} km/h anyone can travel): the credential is shared or someone else holds it.",
                    t.secs, t.km, self.max_kmh
                ))
                .finish(ctx),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Harness, call, key};
    use crate::enrich::{Country, GeoPoint, IntelKind, IntelSet};
    use linkwell_core::{CallRecord, Method};
    use std::sync::Arc;

    fn as_alice(mut c: CallRecord<'static>) -> CallRecord<'static> {
        c.identity.subject = Some("alice".into());
        c
    }

    /// Alice reads her account from `ip`, `secs` into the test.
    fn alice_calls(
        h: &mut Harness,
        d: &mut ImpossibleTravel,
        ip: &str,
        secs: i64,
        out: &mut Vec<Finding>,
    ) {
        let k = key("GET", "/v1/accounts/{id}");
        h.run(
            d,
            &as_alice(call(ip, Method::Get, "/v1/accounts/1", 200, secs)),
            &k,
            out,
        );
    }

    fn at(h: &mut Harness, city: &str, country: &str, lat: f64, lon: f64, radius: u16) {
        h.enrich.city = Some(Arc::from(city));
        h.enrich.country = Country::parse(country);
        h.enrich.location = GeoPoint::new(lat, lon, radius);
    }

    #[test]
    fn berlin_then_sydney_in_ten_minutes() {
        let mut h = Harness::default();
        let mut d = ImpossibleTravel::new(&EngineConfig::default());
        let mut out = vec![];
        at(&mut h, "Berlin", "DE", 52.52, 13.405, 20);
        alice_calls(&mut h, &mut d, "81.2.69.1", 0, &mut out);
        at(&mut h, "Sydney", "AU", -33.87, 151.21, 20);
        alice_calls(&mut h, &mut d, "1.120.0.1", 600, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        let f = &out[0];
        assert_eq!(f.owasp, Owasp::Api2);
        assert!(
            f.explanation.contains("Sydney (AU)") && f.explanation.contains("Berlin (DE)"),
            "{}",
            f.explanation
        );
        assert!(f.evidence.get("speed_kmh").is_some_and(|v| v > 90_000));
        // Flying back and forth: still one finding per hour.
        at(&mut h, "Berlin", "DE", 52.52, 13.405, 20);
        alice_calls(&mut h, &mut d, "81.2.69.1", 700, &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn plausible_moves_pass() {
        let mut h = Harness::default();
        let mut d = ImpossibleTravel::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/accounts/{id}");
        // Berlin → Potsdam within a minute: a mobile network hop.
        at(&mut h, "Berlin", "DE", 52.52, 13.405, 20);
        alice_calls(&mut h, &mut d, "81.2.69.1", 0, &mut out);
        at(&mut h, "Potsdam", "DE", 52.39, 13.06, 20);
        alice_calls(&mut h, &mut d, "81.2.69.3", 30, &mut out);
        // Potsdam → London in 3 hours: a flight.
        at(&mut h, "London", "GB", 51.5, -0.12, 20);
        h.run(
            &mut d,
            &as_alice(call(
                "81.2.69.2",
                Method::Get,
                "/v1/accounts/1",
                200,
                3 * 3600,
            )),
            &k,
            &mut out,
        );
        // Country-level fixes with a 1000 km radius never count.
        at(&mut h, "", "FR", 46.0, 2.0, 1000);
        h.run(
            &mut d,
            &as_alice(call(
                "81.2.69.4",
                Method::Get,
                "/v1/accounts/1",
                200,
                3 * 3600 + 60,
            )),
            &k,
            &mut out,
        );
        // Two different users in two places.
        at(&mut h, "Sydney", "AU", -33.87, 151.21, 20);
        let mut bob = call(
            "1.120.0.1",
            Method::Get,
            "/v1/accounts/1",
            200,
            3 * 3600 + 61,
        );
        bob.identity.subject = Some("bob".into());
        h.run(&mut d, &bob, &k, &mut out);
        // Failed logins name accounts the caller may not own.
        let mut c = call(
            "1.120.0.1",
            Method::Post,
            "/v1/auth/login",
            401,
            3 * 3600 + 62,
        );
        c.identity.login_user = Some("carol".into());
        h.run(&mut d, &c, &k, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn services_in_cloud_regions_pass() {
        let mut b = IntelSet::builder();
        let _ = b.add_list("aws", IntelKind::Cloud, None, "3.0.0.0/8\n");
        let aws = b.build();
        let mut h = Harness::default();
        let mut d = ImpossibleTravel::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/fx/rates");
        for (ip, secs, city, cc, lat, lon) in [
            ("3.1.1.1", 0, "Ashburn", "US", 39.04, -77.49),
            ("3.2.2.2", 60, "Frankfurt", "DE", 50.11, 8.68),
            ("3.3.3.3", 120, "Tokyo", "JP", 35.68, 139.69),
        ] {
            let mut c = call(ip, Method::Get, "/v1/fx/rates", 200, secs);
            c.identity.client_id = Some("partner-sync".into());
            at(&mut h, city, cc, lat, lon, 20);
            h.enrich.intel = aws.lookup(c.client_ip.unwrap_or(std::net::IpAddr::from([0; 4])));
            h.run(&mut d, &c, &k, &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
    }
}
