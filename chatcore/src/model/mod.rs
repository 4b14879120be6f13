//! Domain records as stores keep them.
//!
//! These are the rows of the storage contract. What goes on the wire is in
//! [`crate::protocol`] (views that hide secrets such as password hashes and room codes).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{MessageId, RoomCode, RoomId, Seq, SessionId, UserId, Username};

mod moderation;
pub use moderation::{Block, ModAction, ModLogEntry, Report, ReportResolution, Timeout};
mod notify;
pub use notify::NotifyLevel;
mod thread;
pub use thread::*;
mod extra;
pub use extra::{EXTRA_MAX_BYTES, EXTRA_NOT_AN_OBJECT, Extra, check_extra};

/// Timestamps are UTC everywhere.
pub type Timestamp = DateTime<Utc>;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Unique (case-insensitively) username.
    pub username: Username,
    /// Optional, unique email address (stored lower-cased).
    pub email: Option<String>,
    /// Name shown in the UI.
    pub display_name: String,
    /// Free text about the user.
    pub bio: String,
    /// Avatar image URL.
    pub avatar_url: Option<String>,
    /// Set for users that belong to a host application (no password):
    /// an opaque, unique `issuer:subject` string.
    pub external_id: Option<String>,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When the user was last connected or active.
    pub last_seen_at: Option<Timestamp>,
    /// A temporary guest account (`POST /auth/guest`, see [`crate::Chat::create_guest`]):
    /// no password, may not create rooms or open direct rooms, deleted by
    /// housekeeping once [`crate::Limits::guest_ttl`] has passed since `created_at`.
    #[serde(default)]
    pub guest: bool,
}

/// What a store needs to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The new user (its id is chosen by the caller).
    pub user: User,
    /// argon2id PHC string, for password accounts.
    pub password_hash: Option<String>,
}

/// A login session. The secret token is never stored: only its SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Identifier (safe to show; used to revoke a single session).
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// Created.
    pub created_at: Timestamp,
    /// Last authenticated use (updated at most once a minute).
    pub last_used_at: Timestamp,
    /// Expiry; renewed on use (sliding).
    pub expires_at: Timestamp,
    /// Free-form client description (user agent), for "my sessions".
    pub user_agent: Option<String>,
}

/// The three kinds of room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// Listed; anyone may join (possibly with the room password).
    Public,
    /// Unlisted; joined with the room code or an invitation.
    Private,
    /// Exactly two users; one per pair.
    Direct,
}

impl RoomKind {
    /// Stable string form, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Public => "public",
            RoomKind::Private => "private",
            RoomKind::Direct => "direct",
        }
    }
    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => RoomKind::Public,
            "private" => RoomKind::Private,
            "direct" => RoomKind::Direct,
            _ => return None,
        })
    }
}

/// A room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    /// Identifier.
    pub id: RoomId,
    /// Kind.
    pub kind: RoomKind,
    /// Name (for direct rooms: empty; clients show the other user).
    pub name: String,
    /// Description.
    pub description: String,
    /// Avatar image URL.
    pub avatar_url: Option<String>,
    /// Join code (private rooms only). Unique across rooms.
    pub code: Option<RoomCode>,
    /// argon2id hash of the room password, if any.
    pub password_hash: Option<String>,
    /// Maximum number of members (None: the service-wide limit).
    pub max_members: Option<u32>,
    /// For direct rooms: `"{min_user_id}:{max_user_id}"`, unique.
    pub direct_key: Option<String>,
    /// Creator (the first owner).
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: Timestamp,
    /// Sequence number of the last message (0 when empty).
    pub last_seq: Seq,
    /// Minimum delay between two messages of one member, in seconds (0: off).
    pub slow_mode_secs: u32,
    /// Retention: messages older than this many days are deleted by housekeeping
    /// (None: the site default, see [`crate::Limits::default_retention_days`]).
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Where history starts: the messages with a lower `seq` were deleted by
    /// retention (0 while none was). Kept by the store
    /// ([`crate::store::RetentionStore::purge_messages`]), never by
    /// [`crate::store::RoomStore::update_room`].
    #[serde(default)]
    pub history_start_seq: Seq,
    /// The host app's custom data (see [`Extra`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// Room roles, ordered: `Owner > Admin > Moderator > Member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Ordinary member.
    Member = 0,
    /// May kick, ban and delete others' messages.
    Moderator = 1,
    /// May also edit settings, see and rotate the code, and manage roles below admin.
    Admin = 2,
    /// One per room; may do everything, including deleting the room.
    Owner = 3,
}

impl Role {
    /// All roles, lowest first.
    pub const ALL: [Role; 4] = [Role::Member, Role::Moderator, Role::Admin, Role::Owner];

    /// Stable string form, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "member" => Role::Member,
            "moderator" => Role::Moderator,
            "admin" => Role::Admin,
            "owner" => Role::Owner,
            _ => return None,
        })
    }
}

/// A user's membership in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Room.
    pub room_id: RoomId,
    /// User.
    pub user_id: UserId,
    /// Role in the room.
    pub role: Role,
    /// When the user joined.
    pub joined_at: Timestamp,
    /// The host app's custom data about this member in this room (see [`Extra`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Extra>,
}

/// A ban of one user from one room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ban {
    /// Room.
    pub room_id: RoomId,
    /// Banned user.
    pub user_id: UserId,
    /// Who banned (None if that account is gone).
    pub banned_by: Option<UserId>,
    /// Reason given.
    pub reason: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
    /// Optional expiry; after it the ban no longer applies.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub expires_at: Option<Timestamp>,
}

impl Ban {
    /// Whether the ban applies at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }
}

/// An invitation of a user into a (usually private) room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// Room.
    pub room_id: RoomId,
    /// Invited user.
    pub user_id: UserId,
    /// Who invited.
    pub invited_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// Kinds of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Plain text written by a user.
    Text,
    /// Generated by the service (joined, left, banned…); see [`Message::system`].
    System,
    /// An image attachment, with optional caption in `body`.
    Image,
    /// A file attachment, with optional caption in `body`.
    File,
}

impl MessageKind {
    /// Stable string form, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::System => "system",
            MessageKind::Image => "image",
            MessageKind::File => "file",
        }
    }
    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => MessageKind::Text,
            "system" => MessageKind::System,
            "image" => MessageKind::Image,
            "file" => MessageKind::File,
            _ => return None,
        })
    }
}

/// A reference to an uploaded blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// The uploaded file's id ([`crate::ids::FileId`] as text; served at
    /// `GET /files/{id}` to those who may read it).
    pub blob_id: String,
    /// Original file name.
    pub name: String,
    /// Sniffed content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// What a system message records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemEvent {
    /// The room was created.
    RoomCreated {
        /// Creator.
        by: UserId,
    },
    /// A user joined.
    Joined {
        /// Who.
        user: UserId,
    },
    /// A user left.
    Left {
        /// Who.
        user: UserId,
    },
    /// A user was kicked.
    Kicked {
        /// Who.
        user: UserId,
        /// By whom.
        by: UserId,
    },
    /// A user was banned.
    Banned {
        /// Who.
        user: UserId,
        /// By whom.
        by: UserId,
    },
    /// A user's role changed.
    RoleChanged {
        /// Who.
        user: UserId,
        /// New role.
        role: Role,
        /// By whom.
        by: UserId,
    },
    /// Ownership moved to another member.
    OwnershipTransferred {
        /// Previous owner (None if the account was deleted).
        from: Option<UserId>,
        /// New owner.
        to: UserId,
    },
    /// A message was pinned.
    Pinned {
        /// The message.
        message: MessageId,
        /// By whom.
        by: UserId,
    },
    /// A message was unpinned.
    Unpinned {
        /// The message.
        message: MessageId,
        /// By whom.
        by: UserId,
    },
}

/// A message in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Identifier.
    pub id: MessageId,
    /// Room.
    pub room_id: RoomId,
    /// Per-room sequence number (gapless, from 1).
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub seq: Seq,
    /// Author (None for system messages and for erased accounts).
    pub author_id: Option<UserId>,
    /// Kind.
    pub kind: MessageKind,
    /// Text (empty once deleted).
    pub body: String,
    /// For system messages.
    pub system: Option<SystemEvent>,
    /// For image and file messages (None once deleted).
    pub attachment: Option<Attachment>,
    /// The message this one replies to.
    pub reply_to: Option<MessageId>,
    /// The client's idempotency nonce (never sent to other users).
    #[serde(skip)]
    pub client_nonce: Option<String>,
    /// Created (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
    /// Last edited (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub edited_at: Option<Timestamp>,
    /// Deleted (a tombstone: content erased).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub deleted_at: Option<Timestamp>,
    /// The reactions, one entry per emoji in the order they were first given, as
    /// the viewer sees them (`me`). Filled by [`crate::Chat`] in history; stores
    /// and live events leave it empty (and it is then left out of the JSON).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionSummary>,
    /// The users this message mentions, resolved by the service when it was sent or
    /// last edited (`@username` of a member; `@room` and `@here`). Never the author.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// For a thread reply: the thread's root message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root: Option<MessageId>,
    /// For a thread reply: whether it was also sent to the room (then it is in the
    /// room's history too). Left out of the JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub also_in_room: bool,
    /// For a thread's root, once it has had a reply: the summary of its replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadSummary>,
    /// Custom data (see [`Extra`]; cleared with the content when deleted). Left out
    /// of the JSON when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<Extra>,
}

/// The reactions with one emoji on one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactionSummary {
    /// The emoji (or configured shortcode).
    pub emoji: String,
    /// How many users reacted with it.
    pub count: u64,
    /// Whether the viewer is one of them.
    pub me: bool,
}

/// What a store needs to append a message; the store assigns `seq`.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Identifier chosen by the caller.
    pub id: MessageId,
    /// Room.
    pub room_id: RoomId,
    /// Author.
    pub author_id: Option<UserId>,
    /// Kind.
    pub kind: MessageKind,
    /// Text.
    pub body: String,
    /// System event.
    pub system: Option<SystemEvent>,
    /// Attachment.
    pub attachment: Option<Attachment>,
    /// Reply target.
    pub reply_to: Option<MessageId>,
    /// Idempotency nonce: a second append with the same (room, author, nonce)
    /// returns the first message instead of creating another.
    pub client_nonce: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Mentioned users (see [`Message::mentions`]).
    pub mentions: Vec<UserId>,
    /// The thread's root, for a thread reply (see [`Message::thread_root`]).
    pub thread_root: Option<MessageId>,
    /// See [`Message::also_in_room`].
    pub also_in_room: bool,
    /// See [`Message::extra`].
    pub extra: Option<Extra>,
}

/// A member's read position in a room and the counts after it
/// (see [`crate::store::ReadStore::read_counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReadCounts {
    /// The room's last sequence number.
    pub last_seq: Seq,
    /// Messages after the position that count: other users' text, image and file
    /// messages that are not deleted (never one's own, never system messages).
    pub unread: u64,
    /// Of those, the ones that mention the member.
    pub mentions: u64,
}

/// A page request over a room's messages, by sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageRequest {
    /// Only messages with `seq < before`.
    pub before: Option<Seq>,
    /// Only messages with `seq > after`.
    pub after: Option<Seq>,
    /// At most this many (clamped by the service to the history page limit).
    pub limit: u32,
}

/// What a single-use account token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    /// Proves that the user receives mail at an address.
    VerifyEmail,
    /// Lets the user set a new password.
    ResetPassword,
}

impl TokenPurpose {
    /// Stable string form, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "verify_email" => TokenPurpose::VerifyEmail,
            "reset_password" => TokenPurpose::ResetPassword,
            _ => return None,
        })
    }
}

/// A single-use, expiring account token (email verification, password reset).
/// Like sessions, only the SHA-256 of the secret is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountToken {
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// Whose.
    pub user_id: UserId,
    /// What for.
    pub purpose: TokenPurpose,
    /// The address the token was mailed to (it only works while the account still
    /// has that address).
    pub email: String,
    /// Issued.
    pub created_at: Timestamp,
    /// Refused from then on.
    pub expires_at: Timestamp,
}

/// What an uploaded file is for; decides who may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A user's avatar: any signed-in user may read it.
    Avatar,
    /// A room's avatar: whoever may see the room.
    RoomAvatar,
    /// A message's attachment: the room's members, while the message exists.
    Message,
}

impl FileKind {
    /// Stable string form, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Avatar => "avatar",
            FileKind::RoomAvatar => "room_avatar",
            FileKind::Message => "message",
        }
    }
    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "avatar" => FileKind::Avatar,
            "room_avatar" => FileKind::RoomAvatar,
            "message" => FileKind::Message,
            _ => return None,
        })
    }
}

/// The metadata of an uploaded file; its bytes are in the
/// [`BlobStore`](crate::blob::BlobStore) under `blob_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Identifier (`GET /files/{id}`).
    pub id: crate::ids::FileId,
    /// Who uploaded it (None once that account is gone).
    pub uploader_id: Option<UserId>,
    /// What it is for.
    pub kind: FileKind,
    /// The room (room avatars and message attachments).
    pub room_id: Option<RoomId>,
    /// The message carrying it (message attachments, once sent).
    pub message_id: Option<MessageId>,
    /// File name as uploaded, sanitized.
    pub name: String,
    /// Content type found by sniffing the bytes (never the client's claim).
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Key in the blob store.
    pub blob_key: String,
    /// Uploaded.
    pub created_at: Timestamp,
    /// Deleted (unreachable from then on).
    pub deleted_at: Option<Timestamp>,
}

/// A pinned message of a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Room.
    pub room_id: RoomId,
    /// The pinned message.
    pub message_id: MessageId,
    /// Who pinned it (None once that account is gone).
    pub pinned_by: Option<UserId>,
    /// When.
    pub pinned_at: Timestamp,
}

/// A full-text search over the messages of the rooms `viewer` is a member of, as a
/// store runs it ([`crate::store::SearchStore`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Only rooms this user is a member of.
    pub viewer: UserId,
    /// The words, lower-cased; a message matches when it has every one as a word.
    pub words: Vec<String>,
    /// Only this room.
    pub room: Option<RoomId>,
    /// Only this author.
    pub author: Option<UserId>,
    /// Only messages created at or after.
    pub since: Option<Timestamp>,
    /// Only messages created before.
    pub until: Option<Timestamp>,
    /// Skip this many hits.
    pub offset: u32,
    /// At most this many hits.
    pub limit: u32,
}
