//! The inline proxy over real sockets and real TLS: certificates generated
//! by rcgen, tokens signed with ring, a small upstream API behind it.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod enforcement;
mod forwarding;
mod keys;
mod mtls;
mod nginx;
mod provider;
mod support;
mod tokens;
