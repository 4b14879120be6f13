//! Exponential backoff with jitter.

use std::time::Duration;

/// Attempt `n` waits a random time between `(1 - jitter) × base` and `base`, where
/// `base = min(max, initial × factor^n)`. The jitter spreads a crowd of clients that
/// lost the same server (a restart) over time.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// First delay.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
    /// Growth per attempt.
    pub factor: f64,
    /// 0..=1: how much of each delay is random.
    pub jitter: f64,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_millis(500), Duration::from_secs(30))
    }
}

impl Backoff {
    /// From `initial` doubling up to `max`, with half of each delay random.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            factor: 2.0,
            jitter: 0.5,
            attempt: 0,
        }
    }

    /// Delays handed out since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        self.delay_with(rand::random::<f64>())
    }

    /// [`Backoff::next_delay`] with the random draw (0..1) given.
    pub fn delay_with(&mut self, random: f64) -> Duration {
        let exp = i32::try_from(self.attempt).unwrap_or(i32::MAX);
        let base = (self.initial.as_secs_f64() * self.factor.powi(exp)).min(self.max.as_secs_f64());
        self.attempt = self.attempt.saturating_add(1);
        let jitter = self.jitter.clamp(0.0, 1.0);
        Duration::from_secs_f64(base * (1.0 - jitter * random.clamp(0.0, 1.0)))
    }

    /// Start over (after a healthy connection).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter_below_each_base() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let ms: Vec<u128> = (0..5).map(|_| b.delay_with(0.0).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1000]);
        b.reset();
        assert_eq!(b.delay_with(1.0).as_millis(), 50);
    }
}
