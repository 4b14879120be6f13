//! The moderation log of each room: every moderation action (kick, ban, unban, role
//! change, pin, unpin, deletion of another's message, report resolution, timeout,
//! blocklist change) with who, what, whom, when and why. Read by the room's admins
//! and owner, and by site administrators.
//!
//! Where the action itself is one store call that takes the entry (report
//! resolutions, timeouts, kicks, bans, role changes), the entry is written in the
//! same transaction; for kicks, bans and role changes that transaction also
//! re-checks the actor's role ([`crate::store::ModeratedBy`]). Other actions (unban,
//! pins, deletions, blocklists) append it right after the action's own store write;
//! a crash between the two loses the entry, never the action.

use uuid::Uuid;

use super::Chat;
use super::reports::MOD_PAGE_MAX;
use crate::error::Result;
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{ModAction, ModLogEntry};
use crate::perm::Action;

/// An entry being written (see [`Chat::mod_log`]).
#[must_use = "call write()"]
pub(super) struct LogWriter<'a> {
    chat: &'a Chat,
    actor: UserId,
    entry: ModLogEntry,
}

impl LogWriter<'_> {
    /// Whom.
    pub(super) fn user(mut self, user: impl Into<Option<UserId>>) -> Self {
        self.entry.target_user = user.into();
        self
    }
    /// Which message.
    pub(super) fn message(mut self, message: MessageId) -> Self {
        self.entry.target_message = Some(message);
        self
    }
    /// Why (or details).
    pub(super) fn reason(mut self, reason: impl Into<String>) -> Self {
        self.entry.reason = reason.into();
        self
    }
    /// The entry, for a store call that writes it with the action.
    pub(super) fn entry(self) -> ModLogEntry {
        self.entry
    }
    /// The entry with its actor's authorized role, for a moderated store call
    /// (see [`crate::store::ModeratedBy`]).
    pub(super) fn by(self, role: crate::model::Role) -> crate::store::ModeratedBy {
        crate::store::ModeratedBy {
            actor: self.actor,
            role,
            log: self.entry,
        }
    }
    /// Append it.
    pub(super) async fn write(self) -> Result<()> {
        self.chat.inner.store.append_mod_log(self.entry).await
    }
}

impl Chat {
    /// Start a moderation log entry of `room`: `actor` did `action` now.
    pub(super) fn mod_log(&self, room: RoomId, actor: UserId, action: ModAction) -> LogWriter<'_> {
        LogWriter {
            chat: self,
            actor,
            entry: ModLogEntry {
                id: Uuid::now_v7(),
                room_id: room,
                at: self.now(),
                actor: Some(actor),
                action,
                target_user: None,
                target_message: None,
                reason: String::new(),
            },
        }
    }

    /// A room's moderation log, newest first, `limit` entries (at most
    /// [`MOD_PAGE_MAX`]) before the entry `before` (the room's admins and owner, and
    /// site administrators).
    pub async fn room_audit(
        &self,
        actor: UserId,
        room: RoomId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<ModLogEntry>> {
        let room = if self.is_site_admin(actor).await? {
            self.inner
                .store
                .get_room(room)
                .await?
                .ok_or(crate::Error::NotFound("room"))?
        } else {
            let (room, me) = self.require_member(actor, room).await?;
            self.require(me.role, Action::ViewAudit)?;
            room
        };
        let limit = limit.clamp(1, MOD_PAGE_MAX);
        self.inner.store.list_mod_log(room.id, before, limit).await
    }
}
