//! Fixed-window rate limits per key (client IP or hashed subject), in memory.

use std::collections::HashMap;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// What is being limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limited {
    /// Login attempts per IP.
    Login,
    /// Token requests per IP.
    Token,
    /// Claims fetches per subject.
    Claims,
}

const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many tracked keys, expired windows are dropped, so memory stays bounded.
const PRUNE_AT: usize = 10_000;

/// Counts requests per (kind, key) per minute.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(Limited, String), (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts one request; returns the seconds to wait if it is over `per_minute`.
    pub fn check(&self, kind: Limited, key: &str, per_minute: u32, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock();
        if windows.len() > PRUNE_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry((kind, key.to_owned())).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > per_minute {
            let wait = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }
}

/// Wrong logins per citizen (hashed subject), with back-off, whatever address they come from.
/// The first [`FREE_FAILURES`] cost nothing; after that each attempt waits 30 s, doubling with
/// every further failure up to an hour. A successful login clears the count; a day without
/// failures forgets it.
#[derive(Default)]
pub struct SubjectLockout {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Failures before the back-off starts.
pub const FREE_FAILURES: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(30);
const LONGEST_WAIT: Duration = Duration::from_secs(3600);
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// At most this many subjects are tracked; past it the oldest go first.
const MAX_SUBJECTS: usize = 100_000;

impl SubjectLockout {
    /// How long `subject` must wait before the next attempt, if at all.
    pub fn wait(&self, subject: &str, now: Instant) -> Option<Duration> {
        let failures = self.failures.lock();
        let (count, last) = *failures.get(subject)?;
        if count < FREE_FAILURES {
            return None;
        }
        let doublings = (count - FREE_FAILURES).min(16);
        let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT);
        (last + wait).checked_duration_since(now).filter(|left| !left.is_zero())
    }

    /// Counts a failed login of `subject`.
    pub fn failed(&self, subject: &str, now: Instant) {
        let mut failures = self.failures.lock();
        if failures.len() >= MAX_SUBJECTS {
            failures.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
            while failures.len() >= MAX_SUBJECTS {
                let Some(oldest) = failures.iter().min_by_key(|(_, (_, last))| *last).map(|(k, _)| k.clone()) else { break };
                failures.remove(&oldest);
            }
        }
        let entry = failures.entry(subject.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= FORGET_AFTER {
            entry.0 = 0;
        }
        *entry = (entry.0 + 1, now);
    }

    /// A successful login clears the count.
    pub fn succeeded(&self, subject: &str) {
        self.failures.lock().remove(subject);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_resets_after_a_minute() {
        let limiter = RateLimiter::default();
        let now = Instant::now();
        assert!(limiter.check(Limited::Login, "1.2.3.4", 2, now).is_ok());
        assert!(limiter.check(Limited::Login, "1.2.3.4", 2, now).is_ok());
        assert_eq!(limiter.check(Limited::Login, "1.2.3.4", 2, now), Err(60));
        assert!(
            limiter.check(Limited::Login, "5.6.7.8", 2, now).is_ok(),
            "other keys are separate"
        );
        assert!(
            limiter.check(Limited::Token, "1.2.3.4", 2, now).is_ok(),
            "other kinds are separate"
        );
        assert!(limiter.check(Limited::Login, "1.2.3.4", 2, now + WINDOW).is_ok());
    }

    #[test]
    fn a_subject_backs_off_after_five_failures_and_a_success_clears_it() {
        let lockout = SubjectLockout::default();
        let start = Instant::now();
        for i in 0..FREE_FAILURES {
            assert_eq!(lockout.wait("s", start), None, "failure {i} is free");
            lockout.failed("s", start);
        }
        assert_eq!(lockout.wait("s", start), Some(Duration::from_secs(30)));
        assert_eq!(lockout.wait("s", start + Duration::from_secs(30)), None);
        assert_eq!(lockout.wait("other", start), None, "per subject");
        let later = start + Duration::from_secs(31);
        lockout.failed("s", later);
        assert_eq!(lockout.wait("s", later), Some(Duration::from_secs(60)), "doubles");
        for _ in 0..20 {
            lockout.failed("s", later);
        }
        assert_eq!(lockout.wait("s", later), Some(Duration::from_secs(3600)), "at most an hour");
        lockout.succeeded("s");
        assert_eq!(lockout.wait("s", later), None);
    }
}
