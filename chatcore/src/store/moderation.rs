//! `ModerationStore`: reports, the per-room moderation log, timeouts and blocks.

use async_trait::async_trait;
use uuid::Uuid;

use crate::error::Result;
use crate::ids::{RoomId, UserId};
use crate::model::{Ban, Block, ModLogEntry, Report, ReportResolution, Role, Timeout, Timestamp};

/// Who does a moderation action of [`ModerationStore`] (`kick_logged`,
/// `ban_logged`, `set_role_logged`), as the service authorized it: the store
/// re-checks in the action's own transaction that `actor` is still a member of the
/// room with `role` (`Conflict::Concurrent` otherwise, nothing written), so a
/// moderator demoted meanwhile cannot act on the old role; and it appends `log` in
/// that transaction, so the action is never committed without its log entry.
#[derive(Debug, Clone)]
pub struct ModeratedBy {
    /// Who acts.
    pub actor: UserId,
    /// The actor's role the service authorized the action with.
    pub role: Role,
    /// The log entry of the action.
    pub log: ModLogEntry,
}

/// Reports of messages, moderation logs, timeouts and user blocks. Deleting a room
/// deletes its reports, log and timeouts; deleting a user deletes their blocks (both
/// ways) and timeouts, and clears their id in reports and log entries.
#[async_trait]
pub trait ModerationStore: Send + Sync + 'static {
    /// Record a report, atomically refusing a second *open* report of the same
    /// message by the same reporter (`Conflict::ReportOpen`). `NotFound` if the room
    /// does not exist.
    async fn create_report(&self, report: Report) -> Result<()>;
    /// A report by id.
    async fn get_report(&self, id: Uuid) -> Result<Option<Report>>;
    /// Reports newest first (by id), of one room or (None) of every room, only the
    /// open ones if `open_only`, before the report `before` if set.
    async fn list_reports(
        &self,
        room: Option<RoomId>,
        open_only: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Report>>;
    /// Close an open report (compare and set) and append `log` in the same
    /// transaction; false (and nothing written) if it was already closed or is
    /// missing. Of two concurrent calls at most one gets true.
    async fn resolve_report(
        &self,
        id: Uuid,
        resolution: ReportResolution,
        by: UserId,
        at: Timestamp,
        log: ModLogEntry,
    ) -> Result<bool>;
    /// Open a report again after the action of its resolution failed (removes the
    /// log entry `log` that [`ModerationStore::resolve_report`] wrote).
    async fn reopen_report(&self, id: Uuid, log: Uuid) -> Result<()>;

    /// Append a moderation log entry.
    async fn append_mod_log(&self, entry: ModLogEntry) -> Result<()>;
    /// Kick: remove the member `user` whose role is still `expected` (as
    /// [`super::RoomStore::remove_member`]; `Conflict::Concurrent` if their role
    /// changed), checking `by` and appending its log in the same transaction. False
    /// (nothing written) if `user` is not a member.
    async fn kick_logged(
        &self,
        room: RoomId,
        user: UserId,
        expected: Role,
        by: ModeratedBy,
    ) -> Result<bool>;
    /// Ban (as [`super::RoomStore::ban`]), requiring the target's role to be still
    /// `expected` (a non-member counts as `Member`; `Conflict::Concurrent`
    /// otherwise), checking `by` and appending its log in the same transaction.
    /// Whether a membership was removed.
    async fn ban_logged(&self, ban: Ban, expected: Role, by: ModeratedBy) -> Result<bool>;
    /// Change a role (as [`super::RoomStore::set_role`]), checking `by` and
    /// appending its log in the same transaction.
    async fn set_role_logged(
        &self,
        room: RoomId,
        user: UserId,
        expected: Role,
        role: Role,
        by: ModeratedBy,
    ) -> Result<()>;
    /// A room's log, newest first (by id), before the entry `before` if set.
    async fn list_mod_log(
        &self,
        room: RoomId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<ModLogEntry>>;

    /// Set (or replace) a timeout and append `log`, in one transaction. `NotFound` if
    /// the room does not exist.
    async fn set_timeout(&self, timeout: Timeout, log: ModLogEntry) -> Result<()>;
    /// Lift a timeout and append `log`, in one transaction; false (nothing written)
    /// if there was none.
    async fn clear_timeout(&self, room: RoomId, user: UserId, log: ModLogEntry) -> Result<bool>;
    /// The timeout of a user in a room (ended ones included; the caller checks).
    async fn get_timeout(&self, room: RoomId, user: UserId) -> Result<Option<Timeout>>;
    /// A user's timeouts in every room (ended ones included).
    async fn user_timeouts(&self, user: UserId) -> Result<Vec<Timeout>>;

    /// `blocker` blocks `blocked`; false if already. `NotFound` if either user is
    /// missing.
    async fn block_user(&self, blocker: UserId, blocked: UserId, at: Timestamp) -> Result<bool>;
    /// Lift a block; false if there was none.
    async fn unblock_user(&self, blocker: UserId, blocked: UserId) -> Result<bool>;
    /// Whom `blocker` blocks, newest first.
    async fn list_blocks(&self, blocker: UserId) -> Result<Vec<Block>>;
    /// Whether either of the two users blocks the other.
    async fn blocked_between(&self, a: UserId, b: UserId) -> Result<bool>;
}
