//! Linkwell's inline mode: a TLS reverse proxy in front of the APIs it guards.
//!
//! Every call is validated (mTLS, bearer tokens, API keys), rate-limited,
//! judged by the same engine that scans logs, recorded in the audit trail,
//! and then forwarded, throttled or blocked according to the mode.
