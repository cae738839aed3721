//! The clean-value cache: header values that repeat on every call of a
//! client are analysed once (injection checks every header; scanning checks
//! every User-Agent against the scanner list).

/// Header values recently found clean. A client sends the same user
/// agent, referer and cookies on every call, and a long user agent is the
/// most expensive value in a benign call; remembering its hash makes the
/// repeat free. Fixed size (direct-mapped), keyed with the per-process
/// random seed so a payload cannot be made to collide with a clean value
/// on purpose. Only speed depends on it: a value is either clean or not.
pub(crate) struct CleanCache {
    slots: Box<[u64]>,
    seed: u64,
}

/// Slots in [`CleanCache`] (8 bytes each).
const CLEAN_SLOTS: usize = 1024;

/// [`CleanCache::key`] tag for a whole `Cookie` header.
pub(super) const COOKIE: u8 = 3;

/// [`CleanCache::key`] tag for a User-Agent checked against scanner names.
pub(super) const SCANNER_AGENT: u8 = 4;

/// Values shorter than this are cheaper to scan than to hash.
pub(super) const CACHE_MIN_LEN: usize = 24;

impl Default for CleanCache {
    fn default() -> Self {
        CleanCache {
            slots: vec![0; CLEAN_SLOTS].into_boxed_slice(),
            seed: crate::fasthash::process_seed(),
        }
    }
}

impl CleanCache {
    /// `how` tells apart the ways a value is scanned (a header with or
    /// without SSRF checks, a whole cookie header), which may differ.
    pub(crate) fn key(&self, s: &str, how: u8) -> u64 {
        crate::fasthash::fast_hash(s.as_bytes(), self.seed ^ u64::from(how)) | 1
    }

    fn slot(k: u64) -> usize {
        (k % CLEAN_SLOTS as u64) as usize
    }

    pub(crate) fn contains(&self, k: u64) -> bool {
        self.slots[Self::slot(k)] == k
    }

    pub(crate) fn insert(&mut self, k: u64) {
        self.slots[Self::slot(k)] = k;
    }
}
