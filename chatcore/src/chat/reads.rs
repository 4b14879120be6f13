//! Read state: read positions, unread and mention counts, and the mentions of a
//! message.
//!
//! A member's read position (`last_read_seq`) only moves forward through
//! [`Chat::mark_read`], is capped at the room's last message, and moves back only
//! through the explicit [`Chat::mark_unread`]. Counts come from the store
//! ([`ReadStore::read_counts`](crate::store::ReadStore::read_counts)), computed from
//! the position with indexed counts, never a scan of the history.
//!
//! **Coalescing.** A client that marks read on every incoming message must not cost
//! a store write each time. `mark_read` keeps the new position in memory (the
//! greatest value wins) and answers at once, with counts computed at that position;
//! a task writes what is pending every [`Limits::read_flush_interval`] (default 2 s)
//! in one transaction, and [`Chat::flush_read_positions`] writes it on demand (the
//! server calls it on shutdown). So a read position is durable within the interval,
//! and a crash loses at most the last interval's advances. The store writes each
//! position as "the greater of the stored and the new value", so two devices
//! marking read in parallel, on one node or several, end at the maximum. Mark
//! unread writes through at once (and drops what was pending for that member).
//!
//! **Mentions.** `@username` in a body names a member of the room
//! (case-insensitively; a non-member or unknown name mentions nobody). `@room`
//! (every member) and `@here` (the members with a live connection) are for
//! moderators and up; from others they mention nobody. The author never mentions
//! themselves. Mentions are resolved when a message is sent and again when it is
//! edited, and stored with the message.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::{Chat, Inner, Limits};
use crate::error::{Error, Result};
use crate::hub::Dispatch;
use crate::ids::{RoomId, Seq, UserId};
use crate::model::Role;
use crate::model::{Room, RoomKind};
use crate::protocol::{ReadSettings, ReadState, Receipt, ServerEvent};

/// Most distinct `@names` looked up in one message (more are ignored).
pub(super) const MAX_MENTION_NAMES: usize = 20;

/// Read positions waiting to be written, and whether the writing task runs.
#[derive(Default)]
pub(super) struct PendingReads {
    positions: Mutex<HashMap<(RoomId, UserId), Seq>>,
    flusher: AtomicBool,
}

impl Limits {
    /// [`Limits::read_flush_interval`], at least 10 ms.
    fn read_flush(&self) -> std::time::Duration {
        self.read_flush_interval
            .max(std::time::Duration::from_millis(10))
    }
}

impl Chat {
    /// Mark `room` read up to `seq` for `actor` (members only). Never moves the
    /// position back and never past the room's last message; returns the read state
    /// after it. When the position moves, every connection of the actor, on every
    /// node, gets a `read_state` event. The write is coalesced (see the module
    /// docs): durable within [`Limits::read_flush_interval`].
    pub async fn mark_read(&self, actor: UserId, room: RoomId, seq: Seq) -> Result<ReadState> {
        if seq < 0 {
            return Err(Error::invalid("seq", "must be 0 or more"));
        }
        let (room, _) = self.require_member(actor, room).await?;
        let seq = seq.min(room.last_seq);
        let stored = self.stored_position(actor, room.id).await?;
        let key = (room.id, actor);
        let moved = {
            let mut pending = self.inner.reads.positions.lock();
            let current = pending.get(&key).copied().unwrap_or(0).max(stored);
            if seq > current {
                pending.insert(key, seq);
                Some(seq)
            } else {
                None
            }
        };
        let Some(position) = moved else {
            return self
                .read_state_at(actor, &room, self.position(actor, room.id, stored))
                .await;
        };
        self.start_flusher();
        self.rearm_notifications(actor, room.id);
        let state = self.read_state_at(actor, &room, position).await?;
        self.publish_read_state(actor, state);
        if self.shows_receipts(&room).await? && !self.inner.store.private_receipts(actor).await? {
            self.publish_room(
                room.id,
                ServerEvent::Receipt {
                    receipt: Receipt {
                        room: room.id,
                        user: actor,
                        seq: position,
                    },
                },
            );
        }
        Ok(state)
    }

    /// Mark `room` unread from `seq` on for `actor`: the read position becomes
    /// `seq - 1` (capped at the room's last message), also backwards. Written at once;
    /// every connection of the actor gets a `read_state` event.
    pub async fn mark_unread(&self, actor: UserId, room: RoomId, seq: Seq) -> Result<ReadState> {
        if seq < 1 {
            return Err(Error::invalid("seq", "must be 1 or more"));
        }
        let (room, _) = self.require_member(actor, room).await?;
        let position = (seq - 1).min(room.last_seq);
        self.inner.reads.positions.lock().remove(&(room.id, actor));
        self.rearm_notifications(actor, room.id);
        if !self
            .inner
            .store
            .set_read_position(room.id, actor, position)
            .await?
        {
            return Err(Error::Forbidden("not a member of this room"));
        }
        let state = self.read_state_at(actor, &room, position).await?;
        self.publish_read_state(actor, state);
        Ok(state)
    }

    /// The actor's read state in a room (members only).
    pub async fn read_state(&self, actor: UserId, room: RoomId) -> Result<ReadState> {
        let (room, _) = self.require_member(actor, room).await?;
        let stored = self.stored_position(actor, room.id).await?;
        self.read_state_at(actor, &room, self.position(actor, room.id, stored))
            .await
    }

    /// The actor's read state in each of their rooms, ordered by room id.
    pub async fn read_states(&self, actor: UserId) -> Result<Vec<ReadState>> {
        let rooms = self.inner.store.list_user_rooms(actor).await?;
        let mut out = Vec::with_capacity(rooms.len());
        for (room, _) in rooms {
            // A membership that ended since the listing is left out.
            out.extend(self.member_read_state(actor, &room).await?);
        }
        Ok(out)
    }

    /// The actor's read state in a room, if a member (no access check: for the
    /// actor's own listings).
    pub(super) async fn member_read_state(
        &self,
        actor: UserId,
        room: &Room,
    ) -> Result<Option<ReadState>> {
        let Some(stored) = self.inner.store.read_position(room.id, actor).await? else {
            return Ok(None);
        };
        let position = self.position(actor, room.id, stored);
        Ok(Some(self.read_state_at(actor, room, position).await?))
    }

    /// The read receipts of a room's other members (members only): empty for rooms
    /// over [`Limits::receipts_max_members`], and without the users whose receipts
    /// are private.
    pub async fn receipts(&self, actor: UserId, room: RoomId) -> Result<Vec<Receipt>> {
        let (room, _) = self.require_member(actor, room).await?;
        if !self.shows_receipts(&room).await? {
            return Ok(Vec::new());
        }
        let stored = self.inner.store.list_receipts(room.id).await?;
        Ok(stored
            .into_iter()
            .filter(|(u, _)| *u != actor)
            .map(|(user, seq)| Receipt {
                room: room.id,
                user,
                seq: self.position(user, room.id, seq),
            })
            .collect())
    }

    /// The actor's read-state settings.
    pub async fn read_settings(&self, actor: UserId) -> Result<ReadSettings> {
        Ok(ReadSettings {
            private_receipts: self.inner.store.private_receipts(actor).await?,
        })
    }

    /// Change the actor's read-state settings.
    pub async fn set_read_settings(
        &self,
        actor: UserId,
        settings: ReadSettings,
    ) -> Result<ReadSettings> {
        self.inner
            .store
            .set_private_receipts(actor, settings.private_receipts)
            .await?;
        Ok(settings)
    }

    /// Whether members see each other's read positions in this room.
    async fn shows_receipts(&self, room: &Room) -> Result<bool> {
        if room.kind == RoomKind::Direct {
            return Ok(true);
        }
        let n = self.inner.store.count_members(room.id).await?;
        Ok(n <= self.inner.limits.receipts_max_members)
    }

    /// Write every pending read position now (the server calls this on shutdown).
    /// On failure the positions stay pending and the error is returned.
    pub async fn flush_read_positions(&self) -> Result<()> {
        flush(&self.inner).await
    }

    async fn stored_position(&self, actor: UserId, room: RoomId) -> Result<Seq> {
        self.inner
            .store
            .read_position(room, actor)
            .await?
            .ok_or(Error::Forbidden("not a member of this room"))
    }

    /// The greater of the stored and the pending position.
    fn position(&self, actor: UserId, room: RoomId, stored: Seq) -> Seq {
        let pending = self.inner.reads.positions.lock();
        pending
            .get(&(room, actor))
            .copied()
            .unwrap_or(0)
            .max(stored)
    }

    pub(super) async fn read_state_at(
        &self,
        actor: UserId,
        room: &Room,
        position: Seq,
    ) -> Result<ReadState> {
        let counts = self
            .inner
            .store
            .read_counts(room.id, actor, position)
            .await?;
        Ok(ReadState {
            room: room.id,
            last_read_seq: position.min(counts.last_seq),
            unread: counts.unread,
            mentions: counts.mentions,
            last_seq: counts.last_seq,
            notifications: self.notify_level_of(room, actor).await?,
        })
    }

    pub(super) fn publish_read_state(&self, actor: UserId, state: ReadState) {
        self.publish(Dispatch::Users {
            users: vec![actor],
            event: ServerEvent::ReadState { state },
        });
    }

    /// Start the task that writes pending positions, once per service.
    fn start_flusher(&self) {
        if self.inner.reads.flusher.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let every = self.inner.limits.read_flush();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                // The service is gone: nothing left to write for (its last
                // `flush_read_positions` wrote what it had).
                let Some(inner) = weak.upgrade() else { break };
                if let Err(e) = flush(&inner).await {
                    tracing::warn!(error = %e, "writing read positions failed; retrying");
                }
            }
        });
    }

    /// The users `body` mentions in `room`, sent by `actor` with `role` (see the
    /// module docs). Sorted, without duplicates, never the author.
    pub(super) async fn resolve_mentions(
        &self,
        room: RoomId,
        role: Role,
        actor: UserId,
        body: &str,
    ) -> Result<Vec<UserId>> {
        let names = mention_names(body);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let store = &self.inner.store;
        let mut out = BTreeSet::new();
        let everyone = names.contains("room");
        let here = names.contains("here");
        if (everyone || here) && role >= Role::Moderator {
            let members: Vec<UserId> = store
                .list_members(room)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            if everyone {
                out.extend(members);
            } else {
                out.extend(self.inner.hub.online(&members).await?);
            }
        }
        for name in names.iter().filter(|n| *n != "room" && *n != "here") {
            if let Some(user) = store.find_user_by_username(name).await?
                && store.get_member(room, user.id).await?.is_some()
            {
                out.insert(user.id);
            }
        }
        out.remove(&actor);
        Ok(out.into_iter().collect())
    }
}

/// Write what is pending in one store call; on failure put it back (a newer
/// pending value for the same member wins).
async fn flush(inner: &Inner) -> Result<()> {
    let batch: Vec<(RoomId, UserId, Seq)> = {
        let mut pending = inner.reads.positions.lock();
        pending.drain().map(|((r, u), s)| (r, u, s)).collect()
    };
    if batch.is_empty() {
        return Ok(());
    }
    match inner.store.advance_read_positions(&batch).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let mut pending = inner.reads.positions.lock();
            for (r, u, s) in batch {
                let at = pending.entry((r, u)).or_insert(s);
                *at = (*at).max(s);
            }
            Err(e)
        }
    }
}

/// The distinct, lower-cased names after an `@` that starts a word (at the start
/// or after a character that cannot be in a username), at most
/// [`MAX_MENTION_NAMES`].
fn mention_names(body: &str) -> BTreeSet<String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let mut out = BTreeSet::new();
    let mut prev: Option<char> = None;
    for (i, c) in body.char_indices() {
        if c == '@' && !prev.is_some_and(is_name) {
            let rest = &body[i + 1..];
            let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
            // A trailing dot ends a sentence, not a name.
            let name = rest[..end].trim_end_matches('.');
            if !name.is_empty() && name.len() <= crate::ids::Username::MAX_LEN {
                out.insert(name.to_ascii_lowercase());
                if out.len() >= MAX_MENTION_NAMES {
                    break;
                }
            }
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mention_names;

    #[test]
    fn names_start_words_and_drop_trailing_dots() {
        let names = mention_names("hi @Ann and @bob. mail a@b.c, (@c_d) @ @room");
        let got: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(got, ["ann", "bob", "c_d", "room"]);
    }

    #[test]
    fn names_are_capped() {
        let body: String = (0..50).map(|i| format!("@user{i} ")).collect();
        assert_eq!(mention_names(&body).len(), super::MAX_MENTION_NAMES);
    }
}
