//! An RFC 6962-style Merkle tree over one segment's record hashes, so one
//! record can be proven part of a signed checkpoint without the whole log.
//!
//! Leaves and inner nodes are domain-separated (`0x00` / `0x01` prefixes) so
//! an inner node can never be passed off as a record. The writer keeps only
//! the compact range (one root per perfect subtree, at most 64), which gives
//! the root of any prefix in O(log n) memory.

use serde::{Deserialize, Serialize};

use crate::hash::Digest;

pub fn leaf_hash(record_hash: &Digest) -> Digest {
    Digest::of(&[&[0u8], &record_hash.0])
}

pub fn node_hash(l: &Digest, r: &Digest) -> Digest {
    Digest::of(&[&[1u8], &l.0, &r.0])
}

/// The root of an empty tree: SHA-256 of nothing, as in RFC 6962.
pub fn empty_root() -> Digest {
    Digest::of(&[])
}

/// Roots of the perfect subtrees that make up the leaves appended so far,
/// largest (leftmost) first.
#[derive(Debug, Clone, Default)]
pub struct CompactRange {
    size: u64,
    peaks: Vec<(u32, Digest)>,
}

impl CompactRange {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a record hash (the leaf hash is derived here).
    pub fn push(&mut self, record_hash: &Digest) {
        let mut node = (0u32, leaf_hash(record_hash));
        while let Some(&(h, d)) = self.peaks.last() {
            if h != node.0 {
                break;
            }
            self.peaks.pop();
            node = (h + 1, node_hash(&d, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
    }

    /// RFC 6962 MTH: the peaks folded from the right.
    pub fn root(&self) -> Digest {
        let mut it = self.peaks.iter().rev();
        let Some(&(_, mut acc)) = it.next() else {
            return empty_root();
        };
        for (_, d) in it {
            acc = node_hash(d, &acc);
        }
        acc
    }
}

/// The root of `record_hashes` computed from scratch (for proofs and tests).
pub fn root_of(record_hashes: &[Digest]) -> Digest {
    let mut c = CompactRange::default();
    record_hashes.iter().for_each(|h| c.push(h));
    c.root()
}

/// Proof that leaf `index` is in the tree of `tree_size` leaves
/// (RFC 6962 §2.1.1 audit path, bottom-up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub index: u64,
    pub tree_size: u64,
    pub path: Vec<Digest>,
}

fn largest_pow2_below(n: usize) -> usize {
    debug_assert!(n > 1);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

fn mth(leaves: &[Digest]) -> Digest {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = largest_pow2_below(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn path(m: usize, leaves: &[Digest], out: &mut Vec<Digest>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = largest_pow2_below(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(mth(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(mth(&leaves[..k]));
    }
}

impl InclusionProof {
    /// Builds the proof for `index` among the first `record_hashes.len()`
    /// records; `None` when the index is out of range.
    pub fn build(record_hashes: &[Digest], index: u64) -> Option<InclusionProof> {
        let i = usize::try_from(index).ok()?;
        if i >= record_hashes.len() {
            return None;
        }
        let leaves: Vec<Digest> = record_hashes.iter().map(leaf_hash).collect();
        let mut p = Vec::new();
        path(i, &leaves, &mut p);
        Some(InclusionProof {
            index,
            tree_size: record_hashes.len() as u64,
            path: p,
        })
    }

    /// Recomputes the root from the record hash and the path (RFC 9162
    /// §2.1.3.2) and compares it with `root`.
    pub fn verify(&self, record_hash: &Digest, root: &Digest) -> bool {
        if self.index >= self.tree_size {
            return false;
        }
        let (mut fn_, mut sn) = (self.index, self.tree_size - 1);
        let mut r = leaf_hash(record_hash);
        for p in &self.path {
            if sn == 0 {
                return false;
            }
            if fn_ & 1 == 1 || fn_ == sn {
                r = node_hash(p, &r);
                if fn_ & 1 == 0 {
                    while fn_ & 1 == 0 && fn_ != 0 {
                        fn_ >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = node_hash(&r, p);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        sn == 0 && r == *root
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hashes(n: usize) -> Vec<Digest> {
        (0..n as u32)
            .map(|i| Digest::of(&[&i.to_be_bytes()]))
            .collect()
    }

    #[test]
    fn compact_range_matches_recursive_definition() {
        for n in 0..40 {
            let h = hashes(n);
            let leaves: Vec<_> = h.iter().map(leaf_hash).collect();
            assert_eq!(root_of(&h), mth(&leaves), "n={n}");
        }
    }

    #[test]
    fn three_leaf_root_by_hand() {
        let h = hashes(3);
        let l: Vec<_> = h.iter().map(leaf_hash).collect();
        let want = node_hash(&node_hash(&l[0], &l[1]), &l[2]);
        assert_eq!(root_of(&h), want);
    }

    #[test]
    fn every_proof_verifies_and_tampering_fails() {
        for n in 1..34 {
            let h = hashes(n);
            let root = root_of(&h);
            for i in 0..n {
                let p = InclusionProof::build(&h, i as u64).unwrap();
                assert!(p.verify(&h[i], &root), "n={n} i={i}");
                // another record's hash does not verify at this position
                let other = h[(i + 1) % n];
                if n > 1 {
                    assert!(!p.verify(&other, &root), "n={n} i={i}");
                }
                if let Some(first) = p.path.first() {
                    let mut bad = p.clone();
                    bad.path[0] = Digest::of(&[&first.0, b"x"]);
                    assert!(!bad.verify(&h[i], &root));
                }
            }
        }
        assert!(InclusionProof::build(&hashes(3), 3).is_none());
    }
}
