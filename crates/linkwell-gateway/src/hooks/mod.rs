//! Beside an existing gateway: the gateway asks Linkwell about each call
//! and enforces the answer itself. The checks are the proxy's own
//! ([`crate::proxy`]'s `run_checks`), so a call is judged the same way
//! whichever way it reaches Linkwell.

pub(crate) mod auth_request;
