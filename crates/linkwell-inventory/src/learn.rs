//! Learning which literal path positions are variables.
//!
//! A trie over statically templated segments, one subtree per host and
//! shared by all methods (a route's variable part does not depend on the
//! verb). Each node counts the calls through it, and how many of them were
//! answered with something other than 404/405, so scanner noise can be told
//! apart from real routes.
//!
//! **Online** (every call, [`Trie::walk`]): counts are updated and new
//! children are created up to a per-node cap. Once a node has seen `cap`
//! distinct answered children, it is a variable beyond doubt (no API has
//! hundreds of resource names at one level): further new values go straight
//! to its `{param}` child, so a high-cardinality position cannot create an
//! endpoint per value. Children first seen with 404/405 live in a separate,
//! smaller budget so a scanner cannot crowd out real routes.
//!
//! **At the end** ([`Trie::resolve`]): top-down, each position with more
//! than `learn_threshold` distinct answered literal children that are not
//! *structural* becomes `{param}`, and the subtrees of its non-structural
//! children are merged into that `{param}` child (so deeper variables are
//! learned on the merged data). A child is structural, and stays literal,
//! when it carries at least 10% of the position's traffic, when its subtree
//! is an outlier (at least 4 nodes and 4x the median sibling), or, unless
//! the position overflowed its cap, when it is directly followed by an id
//! (`/v1/customers/{id}`): that is how resource collections look, while
//! values (`/v1/users/alice/profile`) are followed by names.
//!
//! Memory is bounded by a global node budget; past it, segments are simply
//! not learned (they keep their static template).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};

use crate::hash::{BuildIdentity, Seeded};
use crate::template::{self, OVERFLOW, PARAM, Seg, TRUNCATED};

const NONE: u32 = u32::MAX;
/// The node whose children are the hosts.
const SUPER_ROOT: u32 = 0;

/// Bounds derived from the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) threshold: usize,
    /// Distinct answered (and, separately, 404-only) children per node.
    pub(crate) child_cap: u32,
    pub(crate) host_cap: u32,
    pub(crate) node_cap: usize,
    pub(crate) noise_node_cap: usize,
}

impl Limits {
    pub(crate) fn new(learn_threshold: usize, max_endpoints: usize) -> Self {
        let threshold = learn_threshold.max(2);
        let node_cap = max_endpoints.saturating_mul(8).clamp(10_000, 2_000_000);
        Limits {
            threshold,
            child_cap: u32::try_from(threshold.saturating_mul(4).clamp(64, 10_000))
                .unwrap_or(10_000),
            host_cap: 1024,
            node_cap,
            noise_node_cap: node_cap / 4,
        }
    }
}

#[derive(Debug)]
struct Node {
    label: Box<str>,
    parent: u32,
    calls: u64,
    ok_calls: u64,
    ok_children: u32,
    noise_children: u32,
    param_child: u32,
    /// Counted in the parent's noise budget (only 404/405 so far).
    noise: bool,
    /// This is its parent's `{param}` child (outside both budgets).
    is_param: bool,
    /// Reached `child_cap` answered children: a variable position.
    overflowed: bool,
}

impl Node {
    fn new(label: &str, parent: u32) -> Self {
        Node {
            label: label.into(),
            parent,
            calls: 0,
            ok_calls: 0,
            ok_children: 0,
            noise_children: 0,
            param_child: NONE,
            noise: false,
            is_param: false,
            overflowed: false,
        }
    }
}

enum Step {
    Node(u32),
    Param(Option<u32>),
    Untracked,
}

/// The online trie (see the module docs).
#[derive(Debug)]
pub(crate) struct Trie {
    nodes: Vec<Node>,
    /// Keyed hash of (parent, label) -> node. Keys are random per process, so
    /// colliding labels cannot be chosen by a client; a collision that does
    /// occur only leaves one segment unlearned.
    index: HashMap<u64, u32, BuildIdentity>,
    keys: Seeded,
    limits: Limits,
    noise_nodes: usize,
}

impl Trie {
    pub(crate) fn new(limits: Limits) -> Self {
        Trie {
            nodes: vec![Node::new("", NONE)],
            index: HashMap::default(),
            keys: Seeded::new(),
            limits,
            noise_nodes: 0,
        }
    }

    fn key(&self, parent: u32, label: &str) -> u64 {
        let mut h = self.keys.build_hasher();
        h.write_u32(parent);
        h.write(label.as_bytes());
        h.finish()
    }

    fn count(&mut self, id: u32, ok: bool) {
        let n = &mut self.nodes[id as usize];
        n.calls += 1;
        if !ok {
            return;
        }
        n.ok_calls += 1;
        if n.noise {
            n.noise = false;
            let parent = n.parent as usize;
            self.noise_nodes -= 1;
            let p = &mut self.nodes[parent];
            p.noise_children -= 1;
            p.ok_children += 1;
        }
    }

    fn create(&mut self, parent: u32, label: &str, key: Option<u64>, ok: bool, param: bool) -> u32 {
        let id = self.nodes.len() as u32;
        let mut n = Node::new(label, parent);
        n.is_param = param;
        n.noise = !ok && !param;
        self.nodes.push(n);
        if let Some(k) = key {
            self.index.insert(k, id);
        }
        let p = &mut self.nodes[parent as usize];
        if param {
            p.param_child = id;
        } else if ok {
            p.ok_children += 1;
        } else {
            p.noise_children += 1;
            self.noise_nodes += 1;
        }
        id
    }

    fn step(&mut self, parent: u32, label: &str, ok: bool) -> Step {
        let key = self.key(parent, label);
        if let Some(&id) = self.index.get(&key) {
            let n = &self.nodes[id as usize];
            if n.parent == parent && *n.label == *label {
                self.count(id, ok);
                return Step::Node(id);
            }
            return Step::Untracked;
        }
        let host_level = parent == SUPER_ROOT;
        let cap = if host_level {
            self.limits.host_cap
        } else {
            self.limits.child_cap
        };
        let full = self.nodes.len() >= self.limits.node_cap;
        let p = &self.nodes[parent as usize];
        let (ok_children, noise_children, overflowed) =
            (p.ok_children, p.noise_children, p.overflowed);
        let id = if ok {
            if ok_children < cap {
                (!full).then(|| self.create(parent, label, Some(key), true, false))
            } else if host_level {
                None
            } else {
                self.nodes[parent as usize].overflowed = true;
                return self.param(parent, ok);
            }
        } else if noise_children < cap && self.noise_nodes < self.limits.noise_node_cap {
            (!full).then(|| self.create(parent, label, Some(key), false, false))
        } else if overflowed {
            return self.param(parent, ok);
        } else {
            None
        };
        match id {
            Some(id) => {
                self.count(id, ok);
                Step::Node(id)
            }
            None => Step::Untracked,
        }
    }

    fn param(&mut self, parent: u32, ok: bool) -> Step {
        let mut id = self.nodes[parent as usize].param_child;
        if id == NONE {
            if self.nodes.len() >= self.limits.node_cap {
                return Step::Param(None);
            }
            id = self.create(parent, PARAM, None, ok, true);
        }
        self.count(id, ok);
        Step::Param(Some(id))
    }

    /// Counts one call and appends its learned-so-far template to `out`:
    /// the static template, except `{param}` where a position overflowed.
    /// The nodes visited are left in `path`; the answer says whether the
    /// walk is *replayable*: every segment reached an existing literal
    /// node, so the same template will always take the same walk and
    /// [`Trie::count_path`] can stand in for it.
    pub(crate) fn walk(
        &mut self,
        host: &str,
        tpl: &str,
        segs: &[Seg],
        ok: bool,
        out: &mut String,
        path: &mut Vec<u32>,
    ) -> bool {
        path.clear();
        let mut node = match self.step(SUPER_ROOT, host, ok) {
            Step::Node(id) => Some(id),
            _ => None,
        };
        let mut replayable = node.is_some();
        path.extend(node);
        for s in segs {
            let label = &tpl[s.start as usize..s.end as usize];
            out.push('/');
            match node.map(|n| self.step(n, label, ok)) {
                Some(Step::Node(c)) => {
                    out.push_str(label);
                    node = Some(c);
                    path.push(c);
                }
                Some(Step::Param(c)) => {
                    out.push_str(PARAM);
                    node = c;
                    replayable = false;
                }
                Some(Step::Untracked) | None => {
                    out.push_str(label);
                    node = None;
                    replayable = false;
                }
            }
        }
        if segs.is_empty() {
            out.push('/');
        }
        replayable
    }

    /// Counts one call along a path a replayable [`Trie::walk`] returned.
    pub(crate) fn count_path(&mut self, path: &[u32], ok: bool) {
        for &id in path {
            self.count(id, ok);
        }
    }

    /// Applies what was learned (see the module docs).
    pub(crate) fn resolve(&self) -> Resolved {
        let mut kids: Vec<Vec<u32>> = vec![Vec::new(); self.nodes.len()];
        for (id, n) in self.nodes.iter().enumerate().skip(1) {
            kids[n.parent as usize].push(id as u32);
        }
        let mut roots = HashMap::new();
        for &h in &kids[SUPER_ROOT as usize] {
            let mut root = self.build(h, &kids);
            resolve_node(&mut root, self.limits.threshold);
            roots.insert(self.nodes[h as usize].label.clone(), root);
        }
        Resolved { roots }
    }

    fn build(&self, id: u32, kids: &[Vec<u32>]) -> RNode {
        let n = &self.nodes[id as usize];
        RNode {
            calls: n.calls,
            ok_calls: n.ok_calls,
            overflowed: n.overflowed,
            learned: false,
            children: kids[id as usize]
                .iter()
                .map(|&c| (self.nodes[c as usize].label.clone(), self.build(c, kids)))
                .collect(),
        }
    }

    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// A node of the resolved trie.
#[derive(Debug, Default)]
struct RNode {
    calls: u64,
    ok_calls: u64,
    overflowed: bool,
    learned: bool,
    children: BTreeMap<Box<str>, RNode>,
}

impl RNode {
    fn size(&self) -> usize {
        self.children.values().map(|c| 1 + c.size()).sum()
    }
}

/// Dot segments and markers are never folded into `{param}`: a traversal
/// attempt must stay visible as its own endpoint.
fn never_merged(label: &str) -> bool {
    matches!(label, "." | ".." | TRUNCATED | OVERFLOW)
}

fn resolve_node(node: &mut RNode, threshold: usize) {
    if !node.children.is_empty() {
        decide(node, threshold);
    }
    for c in node.children.values_mut() {
        resolve_node(c, threshold);
    }
}

fn decide(node: &mut RNode, threshold: usize) {
    let total: u64 = node.children.values().map(|c| c.calls).sum();
    let candidates: Vec<(&str, &RNode, usize)> = node
        .children
        .iter()
        .filter(|(l, c)| c.ok_calls > 0 && !template::is_placeholder(l) && !never_merged(l))
        .map(|(l, c)| (&**l, c, c.size()))
        .collect();
    let mut sizes: Vec<usize> = candidates.iter().map(|c| c.2).collect();
    sizes.sort_unstable();
    let median = sizes.get(sizes.len() / 2).copied().unwrap_or(0).max(1);
    let mut structural: Vec<Box<str>> = Vec::new();
    let mut distinct = 0usize;
    for (label, c, size) in candidates {
        let followed_by_id = c
            .children
            .iter()
            .any(|(l, g)| template::is_placeholder(l) && g.ok_calls > 0);
        if c.calls.saturating_mul(10) >= total
            || (size >= 4 && size >= 4 * median)
            || (!node.overflowed && followed_by_id)
        {
            structural.push(label.into());
        } else {
            distinct += 1;
        }
    }
    if !node.overflowed && distinct <= threshold {
        return;
    }
    node.learned = true;
    let mut param = node.children.remove(PARAM).unwrap_or_default();
    let merged: Vec<Box<str>> = node
        .children
        .keys()
        .filter(|l| !never_merged(l) && !structural.contains(l))
        .cloned()
        .collect();
    for l in merged {
        if let Some(c) = node.children.remove(&l) {
            merge(&mut param, c);
        }
    }
    node.children.insert(PARAM.into(), param);
}

fn merge(into: &mut RNode, from: RNode) {
    into.calls += from.calls;
    into.ok_calls += from.ok_calls;
    into.overflowed |= from.overflowed;
    for (l, c) in from.children {
        match into.children.get_mut(&l) {
            Some(existing) => merge(existing, c),
            None => {
                into.children.insert(l, c);
            }
        }
    }
}

/// The outcome of learning: maps observed templates to learned ones.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    roots: HashMap<Box<str>, RNode>,
}

impl Resolved {
    /// The learned template for `template` as observed on `host`.
    pub(crate) fn map(&self, host: &str, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        let mut node = self.roots.get(host);
        for seg in template.split('/').filter(|s| !s.is_empty()) {
            out.push('/');
            let Some(n) = node else {
                out.push_str(seg);
                continue;
            };
            if let Some(c) = n.children.get(seg) {
                out.push_str(seg);
                node = Some(c);
            } else if n.learned && !never_merged(seg) {
                out.push_str(PARAM);
                node = n.children.get(PARAM);
            } else {
                out.push_str(seg);
                node = None;
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Templater;

    fn observe(t: &mut Trie, host: &str, path: &str, ok: bool) -> String {
        let mut tpl = String::new();
        let mut segs = Vec::new();
        let mut kinds = crate::sensitive::KindSet::default();
        Templater::default().write(path, &mut tpl, &mut segs, &mut kinds);
        let mut out = String::new();
        let mut nodes = Vec::new();
        t.walk(host, &tpl, &segs, ok, &mut out, &mut nodes);
        out
    }

    fn word(i: usize) -> String {
        // Letters only, so static templating keeps it literal.
        let mut s = String::new();
        let mut n = i;
        for _ in 0..6 {
            s.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
        }
        s
    }

    #[test]
    fn memory_is_bounded_under_a_flood() {
        let limits = Limits::new(30, 1000);
        let mut t = Trie::new(limits);
        // Distinct answered paths three levels deep, on many hosts.
        for i in 0..60_000 {
            let host = format!("h{}", i % 3000);
            observe(
                &mut t,
                &host,
                &format!("/{}/{}/{}", word(i), word(i + 7), word(i + 13)),
                true,
            );
        }
        assert!(t.node_count() <= limits.node_cap, "{}", t.node_count());
        // 404 floods use their own, smaller budget.
        let mut t = Trie::new(limits);
        for i in 0..60_000 {
            observe(&mut t, "h", &format!("/{}/{}", word(i), word(i + 1)), false);
        }
        assert!(t.noise_nodes <= limits.noise_node_cap);
        assert!(t.node_count() <= limits.noise_node_cap + 2);
        // Real routes still get learned after the flood.
        for i in 0..200 {
            observe(&mut t, "h", &format!("/v1/users/{}", word(i)), true);
        }
        let r = t.resolve();
        assert_eq!(
            r.map("h", &format!("/v1/users/{}", word(3))),
            "/v1/users/{param}"
        );
    }

    #[test]
    fn overflowing_position_goes_to_param_online() {
        let limits = Limits::new(30, 1000);
        let mut t = Trie::new(limits);
        let cap = limits.child_cap as usize;
        let mut last = String::new();
        for i in 0..cap + 10 {
            last = observe(&mut t, "h", &format!("/v1/users/{}/profile", word(i)), true);
        }
        assert_eq!(last, "/v1/users/{param}/profile");
        let first = observe(&mut t, "h", &format!("/v1/users/{}/profile", word(0)), true);
        assert_eq!(
            first,
            format!("/v1/users/{}/profile", word(0)),
            "tracked values keep their node"
        );
        // Hosts are never turned into a parameter.
        for i in 0..limits.host_cap as usize + 10 {
            let out = observe(&mut t, &format!("host{i}"), "/x", true);
            assert_eq!(out, "/x");
        }
    }
}
