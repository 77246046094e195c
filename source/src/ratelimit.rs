//! Fixed-window rate limits per key (client IP or hashed subject), in memory.

use std::collections::HashMap;
use std::sync::Mutex;
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
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
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
}
