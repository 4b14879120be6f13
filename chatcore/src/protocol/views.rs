//! The views of records that clients see: users, rooms, members, invitations, read
//! state, history pages (re-exported by [`crate::protocol`]).

use serde::{Deserialize, Serialize};

use crate::ids::{RoomCode, RoomId, Seq, UserId};
use crate::model::{Message, Role, RoomKind, Timestamp};

/// A user as other users see them (no email, no credentials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    /// Identifier.
    pub id: UserId,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Bio.
    pub bio: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Account creation.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
    /// Last seen.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub last_seen_at: Option<Timestamp>,
    /// A temporary guest account (see `docs/DOMAIN.md`, "Guests").
    #[serde(default)]
    pub guest: bool,
}

/// The acting user's own account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeView {
    /// Public part.
    #[serde(flatten)]
    pub user: UserView,
    /// Email.
    pub email: Option<String>,
    /// Whether the account has a password (false for external identities).
    pub has_password: bool,
    /// Whether the email address is verified.
    #[serde(default)]
    pub email_verified: bool,
}

/// A room as a given user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomView {
    /// Identifier.
    pub id: RoomId,
    /// Kind.
    pub kind: RoomKind,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Whether joining needs the room password.
    pub has_password: bool,
    /// Member limit in force.
    pub max_members: u32,
    /// Current member count.
    pub member_count: u64,
    /// Slow mode delay in seconds (0: off).
    pub slow_mode_secs: u32,
    /// The room's retention setting in days (None: the site default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Where history starts: messages below this `seq` were deleted by retention
    /// (0, and absent, while none was).
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub history_start_seq: Seq,
    /// Created.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
    /// Sequence number of the last message.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub last_seq: Seq,
    /// The viewer's role, if a member.
    pub my_role: Option<Role>,
    /// The join code: present only for owners and admins of private rooms.
    pub code: Option<RoomCode>,
    /// For direct rooms: the other user.
    pub peer: Option<UserView>,
    /// What the viewer may do here (members only; `None` for non-members and in
    /// views broadcast to a whole room). Computed by [`crate::perm::permissions`].
    #[serde(default)]
    pub permissions: Option<RoomPermissions>,
    /// The viewer's read state (in `GET /me/rooms`; absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<ReadState>,
    /// The viewer is timed out here until then: they read but cannot send, react or
    /// type (absent when not timed out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub muted_until: Option<Timestamp>,
    /// The host app's custom data (left out when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<crate::model::Extra>,
}

/// A timeout of the viewer in one room (in `hello`; see [`RoomView::muted_until`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyTimeout {
    /// Room.
    pub room: RoomId,
    /// When it ends.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub until: Timestamp,
}

/// A member's read position as others see it ("seen by"), in direct rooms and
/// rooms up to [`Limits::receipts_max_members`](crate::Limits) members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// Room.
    pub room: RoomId,
    /// Whose read position.
    pub user: UserId,
    /// They have read up to this sequence number.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub seq: Seq,
}

/// A user's read-state settings (`GET`/`PUT /me/read-settings`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadSettings {
    /// Keep read receipts private: others never see this user's read positions
    /// (their own read state and counts work as before).
    pub private_receipts: bool,
}

/// A member's read position in a room and what is unread after it
/// (see `docs/DOMAIN.md`, "Read state").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadState {
    /// Room.
    pub room: RoomId,
    /// Every message up to this sequence number is read.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub last_read_seq: Seq,
    /// Messages after it that count: other users' text, image and file messages,
    /// not deleted.
    pub unread: u64,
    /// Of those, the ones that mention the member.
    pub mentions: u64,
    /// The room's last sequence number when the counts were taken: `unread` and
    /// `mentions` include every counted message up to it, so a client adds only
    /// the messages after it (a replayed one at or below it is already counted).
    /// 0 from a server that does not send it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub last_seq: Seq,
    /// The member's notification setting here, the default applied when they never
    /// chose one (see [`NotifyLevel`](crate::model::NotifyLevel)).
    pub notifications: crate::model::NotifyLevel,
}

/// The actions a member may take in a room, from [`crate::perm::allowed`] for their
/// role and the room's kind, so that clients offer what the server will accept
/// instead of keeping a copy of the permission matrix.
///
/// Per-target rules are lists of the target roles the viewer may act on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomPermissions {
    /// Post messages.
    pub send: bool,
    /// Edit the settings (name, description, avatar, password, member limit).
    pub edit_settings: bool,
    /// Set slow mode.
    pub set_slow_mode: bool,
    /// Invite users.
    pub invite: bool,
    /// See the join code (private rooms carry it in `code`).
    pub view_code: bool,
    /// Rotate the join code.
    pub rotate_code: bool,
    /// Hand ownership to another member.
    pub transfer_ownership: bool,
    /// Delete the room.
    pub delete_room: bool,
    /// Roles of the members the viewer may kick.
    pub kick: Vec<Role>,
    /// Roles of the users the viewer may ban and unban (non-members count as
    /// `member`); not empty exactly when the viewer may list the room's bans.
    pub ban: Vec<Role>,
    /// Roles of the authors whose messages the viewer may delete (one's own messages
    /// are always deletable; gone authors count as `member`).
    pub delete_messages_of: Vec<Role>,
    /// Role changes the viewer may make: a member holding `target` may be given any
    /// of `to` (never the role they hold).
    pub set_role: Vec<RoleChange>,
    /// Add and remove one's own reactions.
    #[serde(default)]
    pub react: bool,
    /// Pin and unpin messages.
    #[serde(default)]
    pub pin: bool,
    /// See and resolve the room's reports.
    #[serde(default)]
    pub view_reports: bool,
    /// Roles of the members the viewer may time out.
    #[serde(default)]
    pub timeout: Vec<Role>,
    /// Read the room's moderation log.
    #[serde(default)]
    pub view_audit: bool,
}

/// Role changes allowed on members holding one role (see [`RoomPermissions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleChange {
    /// The target's current role.
    pub target: Role,
    /// The roles the target may be given.
    pub to: Vec<Role>,
}

/// A member with role and online state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    /// The user.
    pub user: UserView,
    /// Role.
    pub role: Role,
    /// Joined.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub joined_at: Timestamp,
    /// Connected right now (on any node).
    pub online: bool,
    /// The host app's custom data about this member (left out when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<crate::model::Extra>,
}

/// A pending invitation, as the invited user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteView {
    /// The room.
    pub room_id: RoomId,
    /// The room's name (an invitation entitles the invitee to it).
    pub room_name: String,
    /// Who invited (None if that account is gone).
    pub invited_by: Option<UserId>,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
}

/// A page of history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    /// Room.
    pub room: RoomId,
    /// Messages, ascending by `seq`.
    pub messages: Vec<Message>,
    /// Whether more messages exist in the requested direction.
    pub has_more: bool,
    /// For a page of a thread: its root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<crate::ids::MessageId>,
    /// Present when the page reaches back to where history starts and messages
    /// before it were deleted by retention: the first `seq` that may still exist.
    /// A `resume` from an earlier `seq` missed messages that are gone for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub history_start_seq: Option<Seq>,
}

fn is_zero(n: &Seq) -> bool {
    *n == 0
}
