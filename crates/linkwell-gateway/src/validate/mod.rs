//! What a caller presents, checked per route: the client certificate, the
//! bearer token, the API key. Each check yields an outcome with a stable
//! reason code; the guard decides what the mode makes of it.

pub mod apikey;
pub(crate) mod fetch;
pub mod mtls;
pub mod token;
