//! API keys per route, against the registry file `linkwell keys` writes.
//!
//! The registry is re-read when the file changes (checked at most once a
//! second), so `linkwell keys revoke` takes effect on the running proxy
//! within a second, without a reload.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;
use linkwell_apikey::{KeyOutcome, Registry};

use crate::error::GatewayError;

pub(crate) struct Keys {
    path: PathBuf,
    current: ArcSwap<(Option<SystemTime>, Registry)>,
    started: Instant,
    last_check_ms: AtomicU64,
}

fn stamp(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

impl Keys {
    pub(crate) fn open(path: &Path) -> Result<Keys, GatewayError> {
        let reg = linkwell_apikey::load(path).map_err(|e| GatewayError::file(path, e))?;
        Ok(Keys {
            path: path.to_path_buf(),
            current: ArcSwap::from_pointee((stamp(path), reg)),
            started: Instant::now(),
            last_check_ms: AtomicU64::new(0),
        })
    }

    fn maybe_reload(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        let last = self.last_check_ms.load(Ordering::Relaxed);
        if ms.saturating_sub(last) < 1000
            || self
                .last_check_ms
                .compare_exchange(last, ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.reload();
    }

    /// Re-reads the registry if the file changed; a broken file keeps the
    /// keys in force.
    pub(crate) fn reload(&self) {
        let s = stamp(&self.path);
        if s != self.current.load().0
            && let Ok(reg) = linkwell_apikey::load(&self.path)
        {
            self.current.store(Arc::new((s, reg)));
        }
    }

    pub(crate) fn check(&self, presented: &str, route: &str, now_secs: i64) -> KeyOutcome {
        self.maybe_reload();
        self.current.load().1.check(presented, route, now_secs)
    }
}
