//! The endpoint catalog: one [`Stats`] per (method, host, template).
//!
//! `observe` runs for every call, so once an endpoint exists it allocates
//! nothing: host, template and lookup key are built in reused buffers, the
//! tables are searched by `&str`, and a cache of recent walks lets a
//! repeated static template (`/v1/accounts/{id}`) skip the per-segment trie
//! steps and the endpoint lookup. (The one exception is inside core: its
//! IBAN and e-mail validators allocate when a value really looks like one.)
//!
//! The table is capped at `max_endpoints`; when full, an endpoint that has
//! only ever answered 404/405 is evicted (its calls are counted as
//! not-found) to make room for one that answered, and otherwise the call is
//! folded into its host's `/{overflow}` endpoint. The overflow endpoints are
//! bounded too: past [`OVERFLOW_HOSTS`] of them, calls fold into one
//! `/{overflow}` endpoint per method on host `*`.

use std::collections::HashMap;
use std::sync::OnceLock;

use linkwell_core::{CallRecord, EndpointKey, EndpointSummary, Method};

use crate::InventoryConfig;
use crate::hash::Seeded;
use crate::host;
use crate::learn::{Limits, Resolved, Trie};
use crate::stats::{self, Scratch, Stats};
use crate::template::{OVERFLOW, PathTemplate};

/// Per-host overflow endpoints allowed before folding into host `*`.
const OVERFLOW_HOSTS: usize = 1024;
/// The host of the last-resort overflow endpoints (not a normalised host:
/// `normalize_host` would write `%2A`).
const ANY_HOST: &str = "*";
/// Method of calls that had none.
const NO_METHOD: &str = "UNKNOWN";
/// Nonstandard methods longer than this, or not plain tokens, become OTHER.
const MAX_METHOD_LEN: usize = 16;

/// Normalised (and aliased) hosts of recently seen raw host values.
const HOST_CACHE: usize = 16;
/// Static templates whose trie walk and endpoint are remembered.
const WALK_CACHE: usize = 8192;

#[derive(Debug)]
struct Entry {
    key: EndpointKey,
    overflow: bool,
    stats: Stats,
}

/// Reused buffers for the hot path.
#[derive(Debug, Default)]
struct Buffers {
    host: String,
    key: String,
    stats: Scratch,
    /// (raw host, normalised and aliased host), replaced round-robin.
    hosts: Vec<(Box<str>, Box<str>)>,
    next_host_slot: usize,
    /// `"METHOD host static-template"` of the current call.
    static_key: String,
    nodes: Vec<u32>,
}

/// A remembered walk: most calls repeat a static template already seen
/// (`/v1/accounts/{id}`), and for those one lookup replaces the per-segment
/// trie steps and the endpoint lookup.
#[derive(Debug)]
struct Walk {
    nodes: Box<[u32]>,
    /// The endpoint's lookup key (the learned-so-far template).
    key: Box<str>,
    entry: u32,
    /// [`Table::generation`] when `entry` was looked up.
    generation: u64,
}

impl Buffers {
    /// Puts the normalised, aliased form of `raw` into `self.host`.
    fn set_host(&mut self, raw: &str, aliases: &HashMap<String, String>) {
        if let Some((_, norm)) = self.hosts.iter().find(|(r, _)| **r == *raw) {
            self.host.clear();
            self.host.push_str(norm);
            return;
        }
        host::normalize_into(raw, &mut self.host);
        if let Some(canonical) = aliases.get(self.host.as_str()) {
            self.host.clear();
            self.host.push_str(canonical);
        }
        let entry = (Box::from(raw), Box::from(self.host.as_str()));
        if self.hosts.len() < HOST_CACHE {
            self.hosts.push(entry);
        } else {
            self.hosts[self.next_host_slot] = entry;
            self.next_host_slot = (self.next_host_slot + 1) % HOST_CACHE;
        }
    }
}

/// The endpoint table and its bookkeeping.
#[derive(Debug)]
struct Table {
    max_endpoints: usize,
    entries: Vec<Entry>,
    /// `"METHOD host template"` -> index into `entries`.
    index: HashMap<Box<str>, u32, Seeded>,
    regular: usize,
    overflow_endpoints: usize,
    /// Entries created by a 404/405 call: eviction candidates when full.
    noise: Vec<u32>,
    not_found: u64,
    /// Bumped whenever an entry index may change meaning (eviction,
    /// finish), so remembered indices are re-checked.
    generation: u64,
}

impl Table {
    /// The entry for the lookup key in `b.key`, created if needed (or the
    /// overflow endpoint standing in for it).
    fn entry(&mut self, b: &mut Buffers, method: &str, tpl_start: usize, ok: bool) -> usize {
        if let Some(&i) = self.index.get(b.key.as_str()) {
            return i as usize;
        }
        let slot = if self.regular < self.max_endpoints {
            self.regular += 1;
            None
        } else if ok {
            match self.evict_noise() {
                Some(slot) => Some(slot),
                None => return self.overflow_entry(b, method),
            }
        } else {
            return self.overflow_entry(b, method);
        };
        let key = EndpointKey::new(method, b.host.as_str(), &b.key[tpl_start..]);
        self.put(b.key.as_str(), key, false, slot, ok)
    }

    fn put(
        &mut self,
        lookup: &str,
        key: EndpointKey,
        overflow: bool,
        slot: Option<usize>,
        ok: bool,
    ) -> usize {
        let entry = Entry {
            key,
            overflow,
            stats: Stats::default(),
        };
        let idx = match slot {
            Some(i) => {
                self.entries[i] = entry;
                i
            }
            None => {
                self.entries.push(entry);
                self.entries.len() - 1
            }
        };
        self.index.insert(lookup.into(), idx as u32);
        if !ok && !overflow {
            self.noise.push(idx as u32);
        }
        idx
    }

    /// Frees the slot of an endpoint that only ever answered 404/405.
    fn evict_noise(&mut self) -> Option<usize> {
        while let Some(i) = self.noise.pop() {
            let i = i as usize;
            let Some(e) = self.entries.get(i) else {
                continue;
            };
            if e.overflow || e.stats.ok_calls > 0 {
                continue;
            }
            self.not_found += e.stats.calls;
            let lookup = lookup_key(&e.key);
            self.index.remove(lookup.as_str());
            self.generation += 1;
            return Some(i);
        }
        None
    }

    fn overflow_entry(&mut self, b: &mut Buffers, method: &str) -> usize {
        let method = overflow_method(method);
        let write_key = |key: &mut String, host: &str| {
            key.clear();
            key.push_str(method);
            key.push(' ');
            key.push_str(host);
            key.push_str(" /");
            key.push_str(OVERFLOW);
        };
        write_key(&mut b.key, &b.host);
        if let Some(&i) = self.index.get(b.key.as_str()) {
            return i as usize;
        }
        let host = if self.overflow_endpoints < OVERFLOW_HOSTS {
            b.host.as_str()
        } else {
            write_key(&mut b.key, ANY_HOST);
            if let Some(&i) = self.index.get(b.key.as_str()) {
                return i as usize;
            }
            ANY_HOST
        };
        self.overflow_endpoints += 1;
        let key = EndpointKey::new(method, host, format!("/{OVERFLOW}"));
        self.put(b.key.as_str(), key, true, None, true)
    }
}

/// The inventory of endpoints seen in traffic (see the crate docs).
#[derive(Debug)]
pub struct Inventory {
    aliases: HashMap<String, String>,
    trie: Trie,
    table: Table,
    buf: Buffers,
    walks: HashMap<Box<str>, Walk, Seeded>,
    resolved: OnceLock<Resolved>,
    /// The current call's template when `observe` computes it itself.
    path: PathTemplate,
}

impl Inventory {
    pub fn new(cfg: InventoryConfig) -> Self {
        let aliases = cfg
            .host_aliases
            .iter()
            .map(|(from, to)| (host::normalize_host(from), host::normalize_host(to)))
            .filter(|(from, to)| from != to)
            .collect();
        Inventory {
            aliases,
            trie: Trie::new(Limits::new(cfg.learn_threshold, cfg.max_endpoints)),
            table: Table {
                max_endpoints: cfg.max_endpoints,
                entries: Vec::new(),
                index: HashMap::default(),
                regular: 0,
                overflow_endpoints: 0,
                noise: Vec::new(),
                not_found: 0,
                generation: 0,
            },
            buf: Buffers::default(),
            walks: HashMap::default(),
            resolved: OnceLock::new(),
            path: PathTemplate::default(),
        }
    }

    /// Normalises the host, templates the path, updates that endpoint's
    /// statistics and returns its key. The key is what the template is *so
    /// far*; [`Inventory::canonical`] maps it to the learned one.
    pub fn observe(&mut self, call: &CallRecord<'_>) -> &EndpointKey {
        let mut path = std::mem::take(&mut self.path);
        path.set(&call.path);
        let idx = self.observe_at(call, &path);
        self.path = path;
        &self.table.entries[idx].key
    }

    /// [`Inventory::observe`] with the path's template already computed
    /// (`path` must be [`PathTemplate::set`] from `call.path`). Templating
    /// is a pure function of the path, so a pipeline computes it on its
    /// parallel parse workers and leaves the ordered stage only the lookups.
    pub fn observe_templated(
        &mut self,
        call: &CallRecord<'_>,
        path: &PathTemplate,
    ) -> &EndpointKey {
        let idx = self.observe_at(call, path);
        &self.table.entries[idx].key
    }

    fn observe_at(&mut self, call: &CallRecord<'_>, path: &PathTemplate) -> usize {
        if self.resolved.get().is_some() {
            self.resolved.take();
        }
        let b = &mut self.buf;
        let ok = stats::is_answered(call.status);
        let method = method_name(call.method.as_ref());
        b.set_host(call.host.as_deref().unwrap_or(""), &self.aliases);

        b.static_key.clear();
        b.static_key.push_str(method);
        b.static_key.push(' ');
        b.static_key.push_str(&b.host);
        b.static_key.push(' ');
        let tpl_start = b.static_key.len();
        b.static_key.push_str(&path.tpl);

        let t = &mut self.table;
        let idx = match self.walks.get_mut(b.static_key.as_str()) {
            Some(w) => {
                self.trie.count_path(&w.nodes, ok);
                if w.generation != t.generation || t.entries.len() <= w.entry as usize {
                    b.key.clear();
                    b.key.push_str(&w.key);
                    w.entry = t.entry(b, method, tpl_start, ok) as u32;
                    w.generation = t.generation;
                }
                w.entry as usize
            }
            None => {
                b.key.clear();
                b.key.push_str(&b.static_key[..tpl_start]);
                let replayable =
                    self.trie
                        .walk(&b.host, &path.tpl, &path.segs, ok, &mut b.key, &mut b.nodes);
                let idx = t.entry(b, method, tpl_start, ok);
                if replayable && !t.entries[idx].overflow {
                    if self.walks.len() >= WALK_CACHE {
                        self.walks.clear();
                    }
                    self.walks.insert(
                        b.static_key.as_str().into(),
                        Walk {
                            nodes: b.nodes.as_slice().into(),
                            key: b.key.as_str().into(),
                            entry: idx as u32,
                            generation: t.generation,
                        },
                    );
                }
                idx
            }
        };
        t.entries[idx].stats.record(call, path.kinds, &mut b.stats);
        idx
    }

    fn resolution(&self) -> &Resolved {
        self.resolved.get_or_init(|| self.trie.resolve())
    }

    /// Maps a key returned by `observe` earlier to the key its endpoint has
    /// after learning (e.g. `/v1/users/alice/profile` ->
    /// `/v1/users/{param}/profile`). Unknown keys are mapped the same way.
    pub fn canonical(&self, key: &EndpointKey) -> EndpointKey {
        if is_overflow(key) {
            return key.clone();
        }
        EndpointKey {
            method: key.method.clone(),
            host: key.host.clone(),
            template: self.resolution().map(&key.host, &key.template),
        }
    }

    /// Applies what was learned, merges endpoints that now share a template,
    /// drops endpoints that only ever answered 404/405 (counted in
    /// [`Inventory::not_found_calls`]) and returns the summaries, most
    /// called first, then by key. The catalog keeps the merged endpoints, so
    /// observing more calls and finishing again is possible.
    pub fn finish(&mut self) -> Vec<EndpointSummary> {
        let resolved = self.resolved.take().unwrap_or_else(|| self.trie.resolve());
        let t = &mut self.table;
        t.generation += 1;
        let old = std::mem::take(&mut t.entries);
        t.index.clear();
        t.noise.clear();
        let mut merged: Vec<Entry> = Vec::with_capacity(old.len());
        let mut groups: HashMap<EndpointKey, usize> = HashMap::with_capacity(old.len());
        for e in old {
            let key = if e.overflow {
                e.key
            } else {
                EndpointKey {
                    template: resolved.map(&e.key.host, &e.key.template),
                    ..e.key
                }
            };
            match groups.get(&key) {
                Some(&i) => merged[i].stats.merge(&e.stats),
                None => {
                    groups.insert(key.clone(), merged.len());
                    merged.push(Entry {
                        key,
                        overflow: e.overflow,
                        stats: e.stats,
                    });
                }
            }
        }
        merged.retain(|e| {
            let noise = e.stats.ok_calls == 0;
            if noise {
                t.not_found += e.stats.calls;
            }
            !noise
        });
        merged.sort_by(|a, b| {
            b.stats
                .calls
                .cmp(&a.stats.calls)
                .then_with(|| a.key.cmp(&b.key))
        });
        let summaries = merged.iter().map(|e| e.stats.summary(&e.key)).collect();
        t.regular = merged.iter().filter(|e| !e.overflow).count();
        t.overflow_endpoints = merged.len() - t.regular;
        for (i, e) in merged.iter().enumerate() {
            t.index.insert(lookup_key(&e.key).into(), i as u32);
        }
        t.entries = merged;
        self.resolved = OnceLock::from(resolved);
        summaries
    }

    /// Calls on paths that only ever answered 404/405 (scanner noise,
    /// typos): excluded from the endpoint list but counted.
    pub fn not_found_calls(&self) -> u64 {
        self.table.not_found
    }

    /// Calls currently held by `/{overflow}` endpoints (the catalog was full).
    pub fn overflow_calls(&self) -> u64 {
        self.table
            .entries
            .iter()
            .filter(|e| e.overflow)
            .map(|e| e.stats.calls)
            .sum()
    }

    /// Endpoints currently tracked, overflow endpoints included.
    pub fn len(&self) -> usize {
        self.table.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.entries.is_empty()
    }
}

fn lookup_key(k: &EndpointKey) -> String {
    format!("{} {} {}", k.method, k.host, k.template)
}

fn is_overflow(k: &EndpointKey) -> bool {
    k.template.strip_prefix('/') == Some(OVERFLOW)
}

/// The method as the key spells it. Nonstandard methods are kept when they
/// look like a method (WebDAV `PROPFIND`), so a client inventing methods
/// cannot make keys of arbitrary text.
fn method_name<'m>(m: Option<&'m Method<'_>>) -> &'m str {
    match m {
        None => NO_METHOD,
        Some(Method::Other(s))
            if s.is_empty()
                || s.len() > MAX_METHOD_LEN
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_') =>
        {
            "OTHER"
        }
        Some(m) => m.as_str(),
    }
}

fn overflow_method(m: &str) -> &'static str {
    match m {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "CONNECT" => "CONNECT",
        NO_METHOD => NO_METHOD,
        _ => "OTHER",
    }
}
