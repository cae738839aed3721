//! The answers Linkwell gives instead of the upstream's:
//! `application/problem+json` (RFC 9457) with a decision id that the audit
//! trail and the dashboard can look up, and nothing about why in detail —
//! an attacker learns that they were refused, not which rule fired.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

/// Why a call was refused, as the client may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No valid credentials (token missing or invalid): 401.
    Unauthenticated,
    /// Credentials or certificate refused, source blocked, attack pattern: 403.
    Forbidden,
    TooManyRequests {
        retry_after_secs: u64,
    },
    NoRoute,
    BodyTooLarge,
    BadGateway,
    GatewayTimeout,
    /// A dependency (JWKS, key registry) could not answer on a fail-closed route.
    Unavailable,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::Unauthenticated => StatusCode::UNAUTHORIZED,
            Refusal::Forbidden => StatusCode::FORBIDDEN,
            Refusal::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Refusal::NoRoute => StatusCode::NOT_FOUND,
            Refusal::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::BadGateway => StatusCode::BAD_GATEWAY,
            Refusal::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Refusal::Unauthenticated => "Authentication required",
            Refusal::Forbidden => "Request refused",
            Refusal::TooManyRequests { .. } => "Too many requests",
            Refusal::NoRoute => "No such API",
            Refusal::BodyTooLarge => "Request body too large",
            Refusal::BadGateway => "Upstream unavailable",
            Refusal::GatewayTimeout => "Upstream timed out",
            Refusal::Unavailable => "Temporarily unavailable",
        }
    }

    /// The response, with `extra` headers (rate-limit fields).
    pub fn response(
        self,
        decision_id: &str,
        extra: &[(&'static str, String)],
    ) -> Response<Full<Bytes>> {
        let status = self.status();
        let body = serde_json::json!({
            "type": "about:blank",
            "title": self.title(),
            "status": status.as_u16(),
            "decision_id": decision_id,
        });
        let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Ok(v) = HeaderValue::from_str(decision_id) {
            h.insert("linkwell-decision-id", v);
        }
        if self == Refusal::Unauthenticated {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        if let Refusal::TooManyRequests { retry_after_secs } = self {
            h.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        for (name, value) in extra {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_its_decision_id_and_nothing_internal() {
        let r = Refusal::Forbidden.response("17-ab12", &[]);
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert_eq!(r.headers()["linkwell-decision-id"], "17-ab12");
        let body = format!("{:?}", r.body());
        assert!(body.contains("17-ab12"));
        assert!(!body.contains("injection"));
    }

    #[test]
    fn unauthenticated_says_bearer_and_429_says_when() {
        let r = Refusal::Unauthenticated.response("1", &[]);
        assert_eq!(r.status(), 401);
        assert!(r.headers().contains_key("www-authenticate"));
        let r = Refusal::TooManyRequests {
            retry_after_secs: 3,
        }
        .response("2", &[]);
        assert_eq!(r.headers()["retry-after"], "3");
    }
}
