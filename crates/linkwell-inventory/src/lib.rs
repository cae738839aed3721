//! The API inventory: which endpoints exist, how they are used, and how they
//! relate to the OpenAPI specifications a bank says it publishes.
//!
//! Banks rarely have a complete list of their own APIs. Traffic is the
//! ground truth, but raw paths are useless as an inventory:
//! `/v1/accounts/4711` and `/v1/accounts/4712` are one endpoint. So every
//! call is turned into a *template* in two stages:
//!
//! 1. [`template`] recognises values by their shape (numbers, UUIDs, tokens,
//!    e-mail addresses, dates...) one segment at a time, with no memory.
//! 2. A bounded trie (`learn`) watches how many distinct literal values
//!    appear at each path position and, when one position is clearly a
//!    variable (`/v1/users/alice/profile`, `/v1/users/bob/profile`, ...),
//!    turns it into `{param}` while leaving structural names
//!    (`/v1/accounts`, `/v1/payments`) literal.
//!
//! Everything kept per endpoint is a fixed-size sketch that merges, because
//! what the trie learns late in a scan folds endpoints together after the
//! fact, and because paths and hosts are chosen by whoever sends the request:
//! an attacker must not be able to make the inventory grow without bound.
//!
//! [`openapi`] loads specs (3.0 and 3.1, YAML or JSON), classifies observed
//! endpoints as documented, shadow, zombie or unused, and exports what was
//! observed as an OpenAPI 3.1 document.

mod body;
mod catalog;
mod hash;
mod host;
mod learn;
pub mod openapi;
mod pct;
mod sensitive;
mod stats;
pub mod template;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use catalog::Inventory;
pub use host::normalize_host;
pub use template::PathTemplate;

/// How the inventory learns and how large it may grow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryConfig {
    /// Distinct literal values seen at one path position (under one prefix)
    /// before that position becomes a learned parameter `{param}`. Values
    /// that only ever got 404/405 and structural names (see `learn`) are not
    /// counted. Real APIs keep 10–25 resource names at one level while a
    /// parameter quickly shows hundreds of values, so 30 separates the two
    /// while keeping small samples readable. A position with more than
    /// `max(4 * learn_threshold, 64)` values (at most 10,000) is a parameter
    /// whatever its names. Values below 2 act as 2.
    pub learn_threshold: usize,
    /// Hard cap on endpoints tracked; beyond it calls are folded into a
    /// per-host overflow endpoint (template `/{overflow}`) and counted.
    /// Endpoints that so far only answered 404/405 are evicted first.
    /// Each endpoint costs up to ~18 KiB once it has many calls (three
    /// histograms and a HyperLogLog), so the default bounds the catalog at
    /// roughly 350 MiB in the worst case and far less in practice.
    pub max_endpoints: usize,
    /// Hosts that are the same API (aliases) -> canonical host, e.g.
    /// `{"api-eu.example.com" = "api.example.com"}`. Both sides are
    /// normalised with [`normalize_host`].
    pub host_aliases: BTreeMap<String, String>,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        InventoryConfig {
            learn_threshold: 30,
            max_endpoints: 20_000,
            host_aliases: BTreeMap::new(),
        }
    }
}
