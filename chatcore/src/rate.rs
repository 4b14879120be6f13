//! Token-bucket rate limiting (over the `governor` crate), shared by the service and
//! the transports: per key ([`KeyedLimiter`]: user, account name, address) or for one
//! client ([`Limiter`]: a WebSocket connection).

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

use crate::error::{Error, Result};

/// A token bucket: up to `burst` actions at once, refilled by one every `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Bucket size.
    pub burst: u32,
    /// Time to earn back one action.
    pub per: Duration,
}

impl Rate {
    /// `burst` actions at once, then one every `per`.
    pub const fn new(burst: u32, per: Duration) -> Self {
        Rate { burst, per }
    }

    /// governor's quota for this rate (None for a burst of 0).
    fn quota(self) -> Option<Quota> {
        let burst = NonZeroU32::new(self.burst)?;
        Some(Quota::with_period(self.per.max(Duration::from_nanos(1)))?.allow_burst(burst))
    }
}

/// How long until `not_until`, as the error callers answer with.
fn rate_limited(not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>) -> Error {
    Error::RateLimited {
        retry_after: not_until.wait_time_from(DefaultClock::default().now()),
    }
}

/// One token bucket, for one client (a connection). `None` rate: unlimited.
pub struct Limiter {
    limiter: Option<DefaultDirectRateLimiter>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("enabled", &self.limiter.is_some())
            .finish()
    }
}

impl Limiter {
    /// A limiter for `rate` (None: never limits).
    pub fn new(rate: Option<Rate>) -> Self {
        Limiter {
            limiter: rate
                .and_then(Rate::quota)
                .map(DefaultDirectRateLimiter::direct),
        }
    }

    /// Take one action, or fail with [`Error::RateLimited`] saying how long to wait.
    pub fn check(&self) -> Result<()> {
        match &self.limiter {
            Some(l) => l.check().map_err(rate_limited),
            None => Ok(()),
        }
    }
}

/// A rate limiter per key (user, account name, IP…). `None` rate: unlimited.
pub struct KeyedLimiter<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    calls: AtomicU32,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for KeyedLimiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("enabled", &self.limiter.is_some())
            .finish()
    }
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// A limiter for `rate` (None: never limits).
    pub fn new(rate: Option<Rate>) -> Self {
        let limiter = rate
            .and_then(Rate::quota)
            .map(DefaultKeyedRateLimiter::keyed);
        KeyedLimiter {
            limiter,
            calls: AtomicU32::new(0),
        }
    }

    /// Take one action for `key`, or fail with [`Error::RateLimited`] saying how long
    /// to wait.
    pub fn check(&self, key: &K) -> Result<()> {
        let Some(l) = &self.limiter else {
            return Ok(());
        };
        // Forget idle keys now and then so memory stays bounded by active keys.
        if self.calls.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            l.retain_recent();
            l.shrink_to_fit();
        }
        l.check_key(key).map_err(rate_limited)
    }
}

/// A bounded memory of keys seen recently (for the login limit: the (account,
/// address) pairs that logged in with the right password). Holds at most `capacity`
/// keys; each is forgotten `ttl` after it was last remembered, and when full the
/// oldest go first.
pub struct RecentKeys<K: Hash + Eq + Clone> {
    keys: std::sync::Mutex<std::collections::HashMap<K, std::time::Instant>>,
    capacity: usize,
    ttl: Duration,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for RecentKeys<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecentKeys")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone> RecentKeys<K> {
    /// At most `capacity` keys, each kept for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        RecentKeys {
            keys: std::sync::Mutex::new(std::collections::HashMap::new()),
            capacity,
            ttl,
        }
    }

    /// Remember `key` (again) from now.
    pub fn insert(&self, key: K) {
        if self.capacity == 0 {
            return;
        }
        let now = std::time::Instant::now();
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= self.capacity && !keys.contains_key(&key) {
            let ttl = self.ttl;
            keys.retain(|_, at| now.duration_since(*at) < ttl);
            if keys.len() >= self.capacity {
                // Still full: drop the oldest tenth (at least one).
                let mut ages: Vec<std::time::Instant> = keys.values().copied().collect();
                ages.sort_unstable();
                if let Some(cut) = ages.get(ages.len() / 10).copied() {
                    keys.retain(|_, at| *at > cut);
                }
            }
        }
        keys.insert(key, now);
    }

    /// Whether `key` was remembered within the last `ttl`.
    pub fn contains(&self, key: &K) -> bool {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.get(key).is_some_and(|at| at.elapsed() < self.ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuses_with_retry_after() {
        let l = KeyedLimiter::new(Some(Rate::new(3, Duration::from_secs(60))));
        for _ in 0..3 {
            assert!(l.check(&"a").is_ok());
        }
        match l.check(&"a") {
            Err(Error::RateLimited { retry_after }) => {
                assert!(
                    retry_after > Duration::from_secs(50) && retry_after <= Duration::from_secs(60)
                );
            }
            other => panic!("expected rate limited, got {other:?}"),
        }
        assert!(l.check(&"b").is_ok(), "keys are independent");
        let off: KeyedLimiter<&str> = KeyedLimiter::new(None);
        for _ in 0..1000 {
            assert!(off.check(&"a").is_ok());
        }
    }

    #[test]
    fn one_bucket() {
        let l = Limiter::new(Some(Rate::new(2, Duration::from_secs(60))));
        assert!(l.check().is_ok() && l.check().is_ok());
        assert!(
            matches!(l.check(), Err(Error::RateLimited { retry_after }) if retry_after > Duration::from_secs(50))
        );
        let off = Limiter::new(None);
        assert!((0..1000).all(|_| off.check().is_ok()));
    }

    #[test]
    fn recent_keys_are_bounded_and_forget_the_oldest() {
        let r = RecentKeys::new(10, Duration::from_secs(60));
        for i in 0..10 {
            r.insert(i);
        }
        assert!((0..10).all(|i| r.contains(&i)));
        r.insert(10);
        assert!(r.contains(&10));
        assert!(!r.contains(&0), "the oldest went first");
        assert!(r.keys.lock().unwrap().len() <= 10);
        let gone = RecentKeys::new(10, Duration::ZERO);
        gone.insert(1);
        assert!(!gone.contains(&1), "forgotten after the ttl");
    }
}
