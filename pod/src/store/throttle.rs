//! Exponential back-off after wrong passphrases, per pod folder, within one process.
//!
//! The scrypt cost already makes guessing slow; the back-off stops a long-running server from
//! being used as a guessing oracle. It resets after a correct passphrase.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// The wait after the first failure; it doubles with every further failure.
pub const BASE_DELAY: Duration = Duration::from_secs(1);
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(300);

/// The failure history of one pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
    blocked_until: Option<Instant>,
}

impl Backoff {
    /// How long the caller must still wait at `now`, if at all.
    pub fn wait_at(&self, now: Instant) -> Option<Duration> {
        self.blocked_until
            .and_then(|until| until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// Records a wrong passphrase at `now` and returns the wait it imposes.
    pub fn record_failure(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let delay = BASE_DELAY
            .saturating_mul(1u32 << (self.failures - 1).min(16))
            .min(MAX_DELAY);
        self.blocked_until = Some(now + delay);
        delay
    }

    /// The number of failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

static BACKOFFS: Mutex<Option<HashMap<PathBuf, Backoff>>> = Mutex::new(None);

/// Runs `f` with the back-off state of the pod at `dir`.
pub fn with_backoff<T>(dir: &Path, f: impl FnOnce(&mut Backoff) -> T) -> T {
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut guard = BACKOFFS.lock();
    let map = guard.get_or_insert_with(HashMap::new);
    f(map.entry(key).or_default())
}

/// Forgets the failures of the pod at `dir` (after a correct passphrase).
pub fn reset(dir: &Path) {
    with_backoff(dir, |b| *b = Backoff::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps() {
        let start = Instant::now();
        let mut backoff = Backoff::default();
        assert_eq!(backoff.wait_at(start), None);
        let waits: Vec<u64> = (0..12).map(|_| backoff.record_failure(start).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff.wait_at(start), Some(MAX_DELAY));
        assert_eq!(backoff.wait_at(start + MAX_DELAY), None);
        assert_eq!(backoff.failures(), 12);
    }
}
