//! Moderation records: reports of messages, the per-room moderation log, timeouts
//! and user blocks (rules in `chat/reports.rs`, `chat/timeouts.rs`, `chat/blocks.rs`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{MessageId, RoomId, UserId};
use crate::model::Timestamp;

/// How a moderator closed a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportResolution {
    /// Nothing done.
    Dismiss,
    /// The message was deleted.
    DeleteMessage,
    /// The author was kicked.
    Kick,
    /// The author was banned.
    Ban,
}

impl ReportResolution {
    /// Every resolution.
    pub const ALL: [ReportResolution; 4] = [
        ReportResolution::Dismiss,
        ReportResolution::DeleteMessage,
        ReportResolution::Kick,
        ReportResolution::Ban,
    ];
    /// Stable text form (as stored).
    pub fn as_str(self) -> &'static str {
        match self {
            ReportResolution::Dismiss => "dismiss",
            ReportResolution::DeleteMessage => "delete_message",
            ReportResolution::Kick => "kick",
            ReportResolution::Ban => "ban",
        }
    }
    /// The resolution of a stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A member's report of a message, for the room's moderators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// Identifier (UUIDv7: ordered by time).
    pub id: Uuid,
    /// Room of the message.
    pub room_id: RoomId,
    /// The reported message.
    pub message_id: MessageId,
    /// Who reported (None once that account is gone).
    pub reporter: Option<UserId>,
    /// The message's author when reported (None if gone).
    pub author: Option<UserId>,
    /// The message's body when reported (kept after an edit or delete, for the queue).
    pub body: String,
    /// Why, in the reporter's words.
    pub reason: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
    /// How it was closed (None: open).
    pub resolution: Option<ReportResolution>,
    /// Who closed it.
    pub resolved_by: Option<UserId>,
    /// When it was closed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub resolved_at: Option<Timestamp>,
}

impl Report {
    /// Whether it still waits for a moderator.
    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }
}

/// A moderation action, as the room's moderation log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModAction {
    /// A member was kicked.
    Kick,
    /// A user was banned.
    Ban,
    /// A ban was lifted.
    Unban,
    /// A member's role changed.
    SetRole,
    /// A message was pinned.
    Pin,
    /// A message was unpinned.
    Unpin,
    /// A moderator deleted someone else's message.
    DeleteMessage,
    /// A report was resolved (the reason says how).
    ResolveReport,
    /// A member was timed out.
    Timeout,
    /// A timeout was lifted early.
    ClearTimeout,
    /// The room's blocklist was replaced.
    SetBlocklist,
}

impl ModAction {
    /// Every action.
    pub const ALL: [ModAction; 11] = [
        ModAction::Kick,
        ModAction::Ban,
        ModAction::Unban,
        ModAction::SetRole,
        ModAction::Pin,
        ModAction::Unpin,
        ModAction::DeleteMessage,
        ModAction::ResolveReport,
        ModAction::Timeout,
        ModAction::ClearTimeout,
        ModAction::SetBlocklist,
    ];
    /// Stable text form (as stored).
    pub fn as_str(self) -> &'static str {
        match self {
            ModAction::Kick => "kick",
            ModAction::Ban => "ban",
            ModAction::Unban => "unban",
            ModAction::SetRole => "set_role",
            ModAction::Pin => "pin",
            ModAction::Unpin => "unpin",
            ModAction::DeleteMessage => "delete_message",
            ModAction::ResolveReport => "resolve_report",
            ModAction::Timeout => "timeout",
            ModAction::ClearTimeout => "clear_timeout",
            ModAction::SetBlocklist => "set_blocklist",
        }
    }
    /// The action of a stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One entry of a room's moderation log. Entries are never changed; they go with
/// the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModLogEntry {
    /// Identifier (UUIDv7: ordered by time).
    pub id: Uuid,
    /// Room.
    pub room_id: RoomId,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub at: Timestamp,
    /// Who acted (None once that account is gone).
    pub actor: Option<UserId>,
    /// What.
    pub action: ModAction,
    /// Whom.
    pub target_user: Option<UserId>,
    /// Which message, if one.
    pub target_message: Option<MessageId>,
    /// The reason given, or details (the new role, the resolution, the end time).
    pub reason: String,
}

/// A member's timeout in a room: until `until` they read but cannot send, react or
/// type. Kept per room and user (not with the membership), so leaving and joining
/// again does not end it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeout {
    /// Room.
    pub room_id: RoomId,
    /// The muted user.
    pub user_id: UserId,
    /// When it ends.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub until: Timestamp,
    /// Who (None once that account is gone).
    pub by: Option<UserId>,
    /// Reason given.
    pub reason: String,
    /// When it was set.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
}

impl Timeout {
    /// Whether it still holds at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.until > now
    }
}

/// A user's block of another user (see `docs/DOMAIN.md`, "Blocking").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Block {
    /// The blocked user.
    pub user_id: UserId,
    /// Since when.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
}
