//! A read-through cache of "may this user post in this room" for the send path.
//!
//! Every message sent needs the room (kind, slow mode) and the sender's membership
//! (role): two store reads, more than the cost of persisting the message itself when
//! many small rooms are busy. The cache keeps what those reads returned, per (room,
//! user), and is emptied by every change to rooms or memberships made through this
//! `Chat` — after the store write, so a later read sees the new state.
//!
//! It is only on when the hub declares itself the only node
//! ([`Hub::single_node`](crate::hub::Hub::single_node)): with several nodes another
//! node's kick or ban would not empty this one's cache, so every check then reads the
//! store.
//!
//! A read that raced with a change is not cached: entries carry the generation read
//! before the store was queried, and every change bumps it (under the same lock as the
//! map), so a value read before a change can never be stored after it.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::ids::{RoomId, UserId};
use crate::model::{Membership, Room};

/// Entries kept at most; beyond it the cache starts again empty.
const MAX_ENTRIES: usize = 100_000;

pub(super) struct AccessCache {
    enabled: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: u64,
    entries: HashMap<(RoomId, UserId), (Arc<Room>, Option<Membership>)>,
}

impl AccessCache {
    pub(super) fn new(enabled: bool) -> Self {
        AccessCache {
            enabled,
            state: Mutex::new(State::default()),
        }
    }

    /// The current generation, to pass to [`AccessCache::insert`] with what is read
    /// from the store after this call.
    pub(super) fn generation(&self) -> u64 {
        self.state.lock().generation
    }

    pub(super) fn get(
        &self,
        room: RoomId,
        user: UserId,
    ) -> Option<(Arc<Room>, Option<Membership>)> {
        if !self.enabled {
            return None;
        }
        self.state.lock().entries.get(&(room, user)).cloned()
    }

    /// Keep what was read, unless something changed since `generation`.
    pub(super) fn insert(
        &self,
        generation: u64,
        room: Arc<Room>,
        user: UserId,
        member: Option<Membership>,
    ) {
        if !self.enabled {
            return;
        }
        let mut st = self.state.lock();
        if st.generation != generation {
            return;
        }
        if st.entries.len() >= MAX_ENTRIES {
            st.entries.clear();
        }
        st.entries.insert((room.id, user), (room, member));
    }

    /// Rooms or memberships changed: forget everything.
    pub(super) fn invalidate(&self) {
        let mut st = self.state.lock();
        st.generation = st.generation.wrapping_add(1);
        st.entries.clear();
        st.entries.shrink_to(1024);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> Arc<Room> {
        Arc::new(crate::conformance::plain_room("r", None))
    }

    #[test]
    fn a_read_older_than_a_change_is_not_kept() {
        let cache = AccessCache::new(true);
        let (r, u) = (room(), UserId::new());
        let before = cache.generation();
        cache.invalidate();
        cache.insert(before, r.clone(), u, None);
        assert!(cache.get(r.id, u).is_none());
        let now = cache.generation();
        cache.insert(now, r.clone(), u, None);
        assert!(cache.get(r.id, u).is_some());
        cache.invalidate();
        assert!(cache.get(r.id, u).is_none());
    }

    #[test]
    fn off_keeps_nothing() {
        let cache = AccessCache::new(false);
        let (r, u) = (room(), UserId::new());
        cache.insert(cache.generation(), r.clone(), u, None);
        assert!(cache.get(r.id, u).is_none());
    }
}
