//! Message retention: deleting a room's oldest messages for good (see
//! `docs/DOMAIN.md`, "Retention").

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{FileId, RoomId, Seq};
use crate::model::{Room, Timestamp};

/// What one [`RetentionStore::purge_messages`] call deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// How many messages went.
    pub deleted: u64,
    /// Where the room's history starts now (its `Room::history_start_seq`).
    pub history_start_seq: Seq,
    /// The files attached to the deleted messages (not deleted yet: the caller
    /// deletes them and their bytes, as for any deleted message).
    pub files: Vec<FileId>,
}

/// Retention of old messages.
#[async_trait]
pub trait RetentionStore: Send + Sync + 'static {
    /// Set a room's retention (`None`: the site default). `NotFound` if there is no
    /// such room. [`crate::store::RoomStore::update_room`] stores it too.
    async fn set_retention(&self, room: RoomId, days: Option<u32>) -> Result<()>;
    /// Rooms with a retention of their own (`retention_days` set), ordered by id,
    /// after `after`.
    async fn list_retention_rooms(&self, after: Option<RoomId>, limit: u32) -> Result<Vec<Room>>;
    /// Delete, in one transaction, the oldest messages of `room` created before
    /// `before`, at most `limit`: the messages from the start of the history in
    /// `seq` order, stopping at the first one created at or after `before` (so what
    /// is left is always the history from some `seq` on). With them go their
    /// reactions, mentions and pins; `Room::history_start_seq` moves to one past the
    /// last deleted `seq` (it never moves back), while `last_seq` keeps its value.
    /// Thread replies that are kept stay when their root goes. `NotFound` if there
    /// is no such room.
    async fn purge_messages(&self, room: RoomId, before: Timestamp, limit: u32) -> Result<Purged>;
}
