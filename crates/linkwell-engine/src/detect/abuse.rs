//! Unrestricted resource consumption (OWASP API4:2023): page sizes far above
//! what an API should serve and oversized responses. Rate anomalies against
//! per-endpoint baselines come with the detection issue.

use linkwell_core::{Finding, FindingKind, Owasp, Severity};

use super::{Detector, Draft};
use crate::CallContext;
use crate::config::EngineConfig;
use crate::state::SharedState;

pub(crate) struct Abuse {
    max_page: u64,
    max_response: u64,
}

impl Abuse {
    pub(crate) fn new(cfg: &EngineConfig) -> Self {
        Abuse {
            max_page: cfg.max_page_size,
            max_response: cfg.max_response_bytes,
        }
    }
}

const PAGE_PARAMS: &[&str] = &[
    "limit",
    "per_page",
    "page_size",
    "pagesize",
    "size",
    "count",
    "top",
    "$top",
    "max",
];

impl Detector for Abuse {
    fn name(&self) -> &'static str {
        "abuse"
    }

    fn inspect(
        &mut self,
        ctx: &CallContext<'_, '_>,
        _state: &mut dyn SharedState,
        out: &mut Vec<Finding>,
    ) {
        let call = ctx.call;
        let page = call.query.as_deref().and_then(|q| {
            q.split('&').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                let param = PAGE_PARAMS.iter().find(|p| name.eq_ignore_ascii_case(p))?;
                let n = value.parse::<u64>().ok().filter(|n| *n > self.max_page)?;
                Some((*param, n))
            })
        });
        if let Some((param, n)) = page {
            out.push(
                Draft::new(FindingKind::ResourceAbuse, Owasp::Api4, Severity::Medium, 0.8)
                    .count("page_size", n)
                    .explain(format!(
                        "The request asks for {n} items per page ('{param}'), more than {} times the limit an API should serve: a way to exhaust the backend or scrape data in bulk.",
                        n / self.max_page.max(1)
                    ))
                    .finish(ctx),
            );
        } else if let Some(bytes) = call.response_bytes.filter(|b| *b > self.max_response) {
            out.push(
                Draft::new(FindingKind::ResourceAbuse, Owasp::Api4, Severity::Low, 0.6)
                    .count("response_bytes", bytes)
                    .explain(format!(
                        "The response was {} MiB, above the {} MiB ceiling: check that the endpoint bounds what one call can return.",
                        bytes >> 20,
                        self.max_response >> 20
                    ))
                    .finish(ctx),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::Harness;
    use crate::detect::testkit::{call, key};
    use linkwell_core::Method;

    #[test]
    fn huge_pages() {
        let mut h = Harness::default();
        let mut d = Abuse::new(&EngineConfig::default());
        let mut out = vec![];
        let k = key("GET", "/v1/accounts/{id}/transactions");
        let c = call(
            "203.0.113.1",
            Method::Get,
            "/v1/accounts/1/transactions?limit=100000",
            200,
            0,
        );
        h.run(&mut d, &c, &k, &mut out);
        let c = call(
            "203.0.113.1",
            Method::Get,
            "/v1/accounts/1/transactions?limit=50",
            200,
            0,
        );
        h.run(&mut d, &c, &k, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.get("page_size"), Some(100_000));
    }
}
