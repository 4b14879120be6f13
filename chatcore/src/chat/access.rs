//! A read-through cache of "may this user post in this room" for the send path.
//!
//! Every message sent needs the room (kind, slow mode) and the sender's membership
//! (role): two store reads, more than the cost of persisting the message itself when
//! many small rooms are busy. The cache keeps what those reads returned, per (room,
//! user), and is emptied by every change to rooms or memberships made through this
//! `Chat` — after the store write, so a later read sees the new state.
//!
//! It is on when the hub gives an access epoch
//! ([`Hub::access_epoch`](crate::hub::Hub::access_epoch)): the in-process hub always
//! does, a broker hub while it hears the broker. The epoch moves on with every change
//! reported through [`Hub::access_changed`](crate::hub::Hub::access_changed) on any
//! node, and what was cached under an older epoch is dropped, so that a kick on one
//! node is seen by the next send on every node (`docs/ARCHITECTURE.md`, "Access cache
//! with several nodes"). Without an epoch every check reads the store.
//!
//! A read that raced with a change is not cached: the token taken before the store was
//! queried carries the generation and the epoch, every change bumps one or the other,
//! and an entry is kept only if neither moved, so a value read before a change can
//! never be stored after it.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::ids::{RoomId, UserId};
use crate::model::{Membership, Room, Timestamp};

/// Entries kept at most; beyond it the cache starts again empty.
const MAX_ENTRIES: usize = 100_000;

pub(super) struct AccessCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Bumped by this `Chat`'s own changes.
    generation: u64,
    /// The hub's access epoch the entries were read under.
    epoch: u64,
    entries: HashMap<(RoomId, UserId), Entry>,
}

/// What is cached per (room, user): the room, the membership, and what else stops
/// the user writing there.
pub(super) type Entry = (Arc<Room>, Option<Membership>, Gate);

/// What stops a member writing besides their role (see `chat/timeouts.rs` and
/// `chat/blocks.rs`); changes to it empty the cache like membership changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Gate {
    /// The member's timeout in the room ends then (compared with the clock on use).
    pub(super) muted_until: Option<Timestamp>,
    /// A direct room with a block standing between its two users.
    pub(super) blocked: bool,
    /// The user is a guest (the stricter send rate applies; see `chat/guests.rs`).
    pub(super) guest: bool,
}

/// What a store read must still match to be kept (see [`AccessCache::token`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    generation: u64,
    epoch: u64,
}

impl AccessCache {
    pub(super) fn new() -> Self {
        AccessCache {
            state: Mutex::new(State::default()),
        }
    }

    /// Take before reading the store, with the hub's current epoch (`None`: the cache
    /// is off), and pass to [`AccessCache::insert`] with what was read.
    pub(super) fn token(&self, epoch: Option<u64>) -> Option<Token> {
        let epoch = epoch?;
        Some(Token {
            generation: self.state.lock().generation,
            epoch,
        })
    }

    /// What was cached for (room, user) under the hub's current `epoch`.
    pub(super) fn get(&self, epoch: Option<u64>, room: RoomId, user: UserId) -> Option<Entry> {
        let epoch = epoch?;
        let mut st = self.state.lock();
        if st.epoch != epoch {
            st.epoch = epoch;
            Self::clear(&mut st);
            return None;
        }
        st.entries.get(&(room, user)).cloned()
    }

    /// Keep what was read, unless something changed since `token` was taken.
    pub(super) fn insert(
        &self,
        token: Option<Token>,
        room: Arc<Room>,
        user: UserId,
        member: Option<Membership>,
        gate: Gate,
    ) {
        let Some(token) = token else {
            return;
        };
        let mut st = self.state.lock();
        if st.generation != token.generation || st.epoch != token.epoch {
            return;
        }
        if st.entries.len() >= MAX_ENTRIES {
            st.entries.clear();
        }
        st.entries.insert((room.id, user), (room, member, gate));
    }

    fn clear(st: &mut State) {
        st.entries.clear();
        st.entries.shrink_to(1024);
    }

    /// Rooms or memberships changed: forget everything cached in this `Chat`. Not the
    /// whole story after a change: `Chat::access_changed` also tells every node
    /// through the hub, and is what a change calls.
    pub(super) fn forget_here(&self) {
        let mut st = self.state.lock();
        st.generation = st.generation.wrapping_add(1);
        Self::clear(&mut st);
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
        let cache = AccessCache::new();
        let (r, u, epoch) = (room(), UserId::new(), Some(0));
        let before = cache.token(epoch);
        cache.forget_here();
        cache.insert(before, r.clone(), u, None, Gate::default());
        assert!(cache.get(epoch, r.id, u).is_none());
        let now = cache.token(epoch);
        cache.insert(now, r.clone(), u, None, Gate::default());
        assert!(cache.get(epoch, r.id, u).is_some());
        cache.forget_here();
        assert!(cache.get(epoch, r.id, u).is_none());
    }

    #[test]
    fn a_new_epoch_drops_what_an_older_one_read() {
        let cache = AccessCache::new();
        let (r, u) = (room(), UserId::new());
        cache.insert(cache.token(Some(0)), r.clone(), u, None, Gate::default());
        assert!(cache.get(Some(0), r.id, u).is_some());
        // Read under epoch 0, another node's change moved the hub to 1 before the
        // entry was stored: not kept.
        let stale = cache.token(Some(0));
        assert!(cache.get(Some(1), r.id, u).is_none(), "older epoch dropped");
        cache.insert(stale, r.clone(), u, None, Gate::default());
        assert!(cache.get(Some(1), r.id, u).is_none());
        cache.insert(cache.token(Some(1)), r.clone(), u, None, Gate::default());
        assert!(cache.get(Some(1), r.id, u).is_some());
    }

    #[test]
    fn without_an_epoch_nothing_is_kept() {
        let cache = AccessCache::new();
        let (r, u) = (room(), UserId::new());
        cache.insert(cache.token(None), r.clone(), u, None, Gate::default());
        assert!(cache.get(Some(0), r.id, u).is_none());
        cache.insert(cache.token(Some(0)), r.clone(), u, None, Gate::default());
        assert!(cache.get(None, r.id, u).is_none(), "off: no hits either");
    }
}
