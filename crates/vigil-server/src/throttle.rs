//! Failed authentication, limited: after too many failures from one client
//! address, or with one token prefix, within a minute, further attempts
//! get `429` with `Retry-After` until the minute is over — a brute force
//! against 256-bit tokens is hopeless anyway, but a flood of guesses is
//! noise in the audit chain and load on the store.
//!
//! Wall time (`Instant`), never the node's clock: a demo's accelerated
//! clock must not shorten a lock-out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per key within [`WINDOW`], unless configured.
pub const MAX_FAILURES: u32 = 20;

/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Keys remembered at most; past that the oldest windows are forgotten.
const MAX_KEYS: usize = 100_000;

/// How many leading characters of a presented token key its failures.
const TOKEN_PREFIX_CHARS: usize = 12;

/// Failed authentications by client address and by token prefix.
#[derive(Debug)]
pub struct AuthThrottle {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    max_failures: u32,
}

impl Default for AuthThrottle {
    fn default() -> Self {
        Self::new(MAX_FAILURES)
    }
}

/// What a failure is counted against.
pub fn keys(address: Option<IpAddr>, token: Option<&str>) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(a) = address {
        keys.push(format!("address:{a}"));
    }
    if let Some(t) = token {
        let prefix: String = t.chars().take(TOKEN_PREFIX_CHARS).collect();
        keys.push(format!("token:{prefix}"));
    }
    keys
}

impl AuthThrottle {
    /// A throttle allowing `max_failures` per key within [`WINDOW`].
    pub fn new(max_failures: u32) -> Self {
        Self {
            windows: Mutex::default(),
            max_failures: max_failures.max(1),
        }
    }

    /// `Err(retry after)` when any of `keys` has used up its failures.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let windows = self.lock();
        let wait = keys
            .iter()
            .filter_map(|k| windows.get(k))
            .filter(|(start, n)| *n >= self.max_failures && now.duration_since(*start) < WINDOW)
            .map(|(start, _)| WINDOW.saturating_sub(now.duration_since(*start)))
            .max();
        match wait {
            Some(w) => Err(w.max(Duration::from_secs(1))),
            None => Ok(()),
        }
    }

    /// Counts a failure against each of `keys`.
    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut windows = self.lock();
        if windows.len() >= MAX_KEYS {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if windows.len() >= MAX_KEYS {
                windows.clear();
            }
        }
        for k in keys {
            let entry = windows.entry(k.clone()).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 = entry.1.saturating_add(1);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u32)>> {
        // Each operation leaves the map whole, so a poisoned lock is usable.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_limit_wait_out_the_window() {
        let t = AuthThrottle::default();
        let start = Instant::now();
        let k = keys(Some("192.0.2.7".parse().unwrap()), Some("vgl_guess_0001"));
        for _ in 0..MAX_FAILURES {
            assert!(t.check(&k, start).is_ok());
            t.failed(&k, start);
        }
        let wait = t.check(&k, start + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another address with another token is not held back …
        let other = keys(Some("192.0.2.8".parse().unwrap()), Some("vgl_other"));
        assert!(t.check(&other, start).is_ok());
        // … but the same token prefix from elsewhere is.
        let same_prefix = keys(
            Some("192.0.2.9".parse().unwrap()),
            Some("vgl_guess_0001xyz"),
        );
        assert!(t.check(&same_prefix, start).is_err());
        // After the window, attempts are counted afresh.
        assert!(t.check(&k, start + WINDOW).is_ok());
        t.failed(&k, start + WINDOW);
        assert!(t.check(&k, start + WINDOW).is_ok());
    }
}
