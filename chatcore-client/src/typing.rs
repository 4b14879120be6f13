//! Typing notifications without flooding: a `typing_start` at most every interval per
//! room (the server's TTL is 6 s and it broadcasts at most every 2 s); a
//! `typing_stop` only while a start is in force. A sent message ends typing on the
//! server, so [`TypingThrottle::sent`] just forgets the room.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chatcore::RoomId;

/// Per-room typing state of this client.
#[derive(Debug)]
pub struct TypingThrottle {
    interval: Duration,
    ttl: Duration,
    last: HashMap<RoomId, Instant>,
}

impl Default for TypingThrottle {
    fn default() -> Self {
        TypingThrottle::new(Duration::from_secs(3), Duration::from_secs(6))
    }
}

impl TypingThrottle {
    /// A start at most every `interval`; a start lapses after `ttl`.
    pub fn new(interval: Duration, ttl: Duration) -> Self {
        TypingThrottle {
            interval,
            ttl,
            last: HashMap::new(),
        }
    }

    /// The user types at `now`: whether to write `typing_start`.
    pub fn start(&mut self, room: RoomId, now: Instant) -> bool {
        if self
            .last
            .get(&room)
            .is_some_and(|&t| now.duration_since(t) < self.interval)
        {
            return false;
        }
        self.last.insert(room, now);
        true
    }

    /// The user stopped typing: whether to write `typing_stop`.
    pub fn stop(&mut self, room: RoomId, now: Instant) -> bool {
        self.last
            .remove(&room)
            .is_some_and(|t| now.duration_since(t) < self.ttl)
    }

    /// A message was sent in `room`.
    pub fn sent(&mut self, room: RoomId) {
        self.last.remove(&room);
    }

    /// The connection changed: typing states lapsed with it.
    pub fn reset(&mut self) {
        self.last.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_start_per_interval_and_a_stop_only_while_typing() {
        let r = RoomId::new();
        let t0 = Instant::now();
        let mut t = TypingThrottle::default();
        assert!(t.start(r, t0));
        assert!(!t.start(r, t0 + Duration::from_secs(1)));
        assert!(t.start(r, t0 + Duration::from_secs(3)));
        assert!(t.stop(r, t0 + Duration::from_secs(4)));
        assert!(!t.stop(r, t0 + Duration::from_secs(4)));
        assert!(t.start(r, t0 + Duration::from_secs(5)));
        t.sent(r);
        assert!(!t.stop(r, t0 + Duration::from_secs(5)));
    }
}
