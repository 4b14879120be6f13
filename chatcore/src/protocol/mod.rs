//! The wire protocol: what clients send ([`ClientFrame`]/[`ClientCommand`]) and what
//! the server pushes ([`ServerEvent`]), plus the views of records that clients see.
//!
//! JSON, one object per WebSocket text frame, internally tagged by `"type"` in
//! `snake_case`. The protocol version is [`PROTOCOL_VERSION`], announced in
//! [`ServerEvent::Hello`]. Additive changes (new optional fields, new event types)
//! keep the version; clients ignore unknown event types and fields.
//! `docs/PROTOCOL.md` documents every command and event with an example.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{MessageId, RoomId, Seq, UserId};
use crate::model::{Message, Role, Timestamp};

/// Version of the wire protocol described here.
pub const PROTOCOL_VERSION: u32 = 1;

mod views;
pub use views::*;

/// A client frame: an optional request id echoed in the reply, and the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFrame {
    /// Client-chosen request id; echoed in the `ack`, `sent`, `history`, `pong` or
    /// `error` event that answers this frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// The command.
    #[serde(flatten)]
    pub command: ClientCommand,
}

/// Commands a client sends over the WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientCommand {
    /// Authenticate a connection that was opened without credentials (browsers that
    /// cannot set headers and have no cookie). Must be the first frame.
    Auth {
        /// Session token.
        token: String,
    },
    /// Join a room (public rooms; private rooms need a code or invitation and are
    /// joined over REST) or, if already a member, make sure this connection receives
    /// it. With `since`, first replay the messages after that sequence number.
    Join {
        /// Room.
        room: RoomId,
        /// Last sequence number this client has seen.
        #[serde(default)]
        since: Option<Seq>,
        /// Room password, for password-protected public rooms.
        #[serde(default)]
        password: Option<String>,
    },
    /// Leave a room (the membership ends).
    Leave {
        /// Room.
        room: RoomId,
    },
    /// Resume after a reconnect: for each room, the last sequence number seen.
    /// The server replays what was missed, in order, without duplicates.
    Resume {
        /// Room to last seen sequence number.
        rooms: BTreeMap<RoomId, Seq>,
    },
    /// Send a text message.
    Send {
        /// Room.
        room: RoomId,
        /// Client nonce: a retry with the same nonce never creates a second message.
        nonce: String,
        /// Text.
        body: String,
        /// Message replied to.
        #[serde(default)]
        reply_to: Option<MessageId>,
        /// Reply in the thread of this root message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread_root: Option<MessageId>,
        /// With `thread_root`: also show the reply in the room's history.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        also_in_room: bool,
        /// Custom data: a JSON object of at most 4 KiB (where the service lets users
        /// set it; else `forbidden`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<serde_json::Value>,
    },
    /// Edit one's own message.
    Edit {
        /// Message.
        message: MessageId,
        /// New text.
        body: String,
        /// New custom data (`{}` clears; where the service lets users set it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<serde_json::Value>,
    },
    /// Delete a message (own, or others' where the role allows).
    Delete {
        /// Message.
        message: MessageId,
    },
    /// Typing started (repeat every few seconds while typing).
    TypingStart {
        /// Room.
        room: RoomId,
    },
    /// Typing stopped.
    TypingStop {
        /// Room.
        room: RoomId,
    },
    /// Fetch a page of history.
    History {
        /// Room.
        room: RoomId,
        /// Only messages before this sequence number.
        #[serde(default)]
        before: Option<Seq>,
        /// Only messages after this sequence number.
        #[serde(default)]
        after: Option<Seq>,
        /// Page size (at most 100).
        #[serde(default)]
        limit: Option<u32>,
        /// The replies of the thread under this root instead of the room's timeline.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<MessageId>,
    },
    /// Application-level ping; answered with `pong`.
    Ping,
    /// Add one's reaction to a message (a single emoji).
    React {
        /// Message.
        message: MessageId,
        /// The emoji.
        emoji: String,
    },
    /// Remove one's reaction from a message.
    Unreact {
        /// Message.
        message: MessageId,
        /// The emoji.
        emoji: String,
    },
    /// Pin a message (moderators and up).
    Pin {
        /// Message.
        message: MessageId,
    },
    /// Unpin a message (moderators and up).
    Unpin {
        /// Message.
        message: MessageId,
    },
    /// Mark a room read up to `seq` (moves only forward; capped at the room's last
    /// message). Answered with `ack`; every connection of the user gets `read_state`.
    MarkRead {
        /// Room.
        room: RoomId,
        /// Last sequence number read.
        seq: Seq,
    },
    /// Choose what the user is notified of in a room (members only). Answered with
    /// `ack`; every connection of the user gets `read_state` with the new
    /// `notifications`.
    SetNotifications {
        /// Room.
        room: RoomId,
        /// `all`, `mentions` or `none`.
        level: crate::model::NotifyLevel,
    },
}

/// Why the server dropped a user from a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// Left on their own.
    Left,
    /// Kicked.
    Kicked,
    /// Banned.
    Banned,
    /// The room was deleted.
    RoomDeleted,
    /// The account was deleted.
    AccountDeleted,
}

/// Events the server pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// First event on every connection.
    Hello {
        /// [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The authenticated user.
        user: UserView,
        /// Rooms this connection is subscribed to (all the user's rooms).
        rooms: Vec<RoomId>,
        /// The server sends a WebSocket ping this often and closes the connection
        /// if nothing arrives for twice as long.
        heartbeat_ms: u64,
        /// The user's read state in each of those rooms.
        #[serde(default)]
        read_states: Vec<ReadState>,
        /// The rooms the user is timed out in now, with the end times (left out
        /// when none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        timeouts: Vec<MyTimeout>,
    },
    /// A command succeeded.
    Ack {
        /// Request id.
        id: Option<u64>,
    },
    /// A `send` succeeded: maps the client nonce to the stored message.
    Sent {
        /// Request id.
        id: Option<u64>,
        /// The client's nonce.
        nonce: String,
        /// Room.
        room: RoomId,
        /// Server message id.
        message_id: MessageId,
        /// Sequence number in the room.
        seq: Seq,
    },
    /// A command failed.
    Error {
        /// Request id.
        id: Option<u64>,
        /// Stable machine-readable code (see `docs/PROTOCOL.md`).
        code: String,
        /// Human-readable message.
        message: String,
        /// The offending input field, for `invalid_input` and `too_large` (as in the
        /// REST API's error bodies).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// For `rate_limited`: wait this long.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Reply to `ping`.
    Pong {
        /// Request id.
        id: Option<u64>,
    },
    /// Reply to `history`.
    History {
        /// Request id.
        id: Option<u64>,
        /// The page.
        #[serde(flatten)]
        page: HistoryPage,
    },
    /// A message was posted (also system messages).
    MessageCreated {
        /// The message.
        message: Message,
    },
    /// A message was edited.
    MessageEdited {
        /// The message after the edit.
        message: Message,
    },
    /// A message was deleted (tombstone).
    MessageDeleted {
        /// Room.
        room: RoomId,
        /// Message.
        message_id: MessageId,
        /// Its sequence number.
        seq: Seq,
        /// Who deleted it.
        by: UserId,
    },
    /// Someone joined a room.
    MemberJoined {
        /// Room.
        room: RoomId,
        /// The new member.
        member: MemberView,
    },
    /// Someone left, was kicked or banned; also sent to the removed user, after which
    /// their connections no longer receive the room.
    MemberRemoved {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// Why.
        reason: RemovalReason,
        /// Who did it (kick, ban).
        by: Option<UserId>,
    },
    /// A member's role changed.
    RoleChanged {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// New role.
        role: Role,
        /// By whom.
        by: UserId,
    },
    /// The recipient became a member of a room (created, joined, invited into a direct
    /// room). The room view is as the recipient sees it.
    RoomCreated {
        /// The room.
        room: RoomView,
    },
    /// Room settings changed. Views are re-fetched by clients for role-dependent
    /// fields (the code is never in this event).
    RoomUpdated {
        /// The room, as a plain member sees it.
        room: RoomView,
    },
    /// The recipient was invited into a room; `join` it to accept.
    Invited {
        /// Room.
        room: RoomId,
        /// Room name.
        room_name: String,
        /// Who invited.
        by: UserId,
    },
    /// The room was deleted.
    RoomDeleted {
        /// Room.
        room: RoomId,
    },
    /// A member started or stopped typing. `typing: true` expires after
    /// `expires_in_ms` unless repeated; the server also sends `typing: false` then.
    Typing {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// Whether typing.
        typing: bool,
        /// For `typing: true`: how long it holds without a repeat.
        expires_in_ms: u64,
    },
    /// A user came online or went offline. Sent in each room shared with the user.
    Presence {
        /// Room in which this is sent.
        room: RoomId,
        /// Who.
        user: UserId,
        /// Whether any of their connections lives.
        online: bool,
        /// Last seen, when going offline.
        last_seen_at: Option<Timestamp>,
    },
    /// A member reacted to a message.
    ReactionAdded {
        /// Room.
        room: RoomId,
        /// Message.
        message_id: MessageId,
        /// Its sequence number.
        seq: Seq,
        /// The emoji.
        emoji: String,
        /// Who reacted.
        user: UserId,
        /// How many users now react with this emoji.
        count: u64,
    },
    /// A member took their reaction back.
    ReactionRemoved {
        /// Room.
        room: RoomId,
        /// Message.
        message_id: MessageId,
        /// Its sequence number.
        seq: Seq,
        /// The emoji.
        emoji: String,
        /// Whose reaction.
        user: UserId,
        /// How many users still react with this emoji (0: the chip goes).
        count: u64,
    },
    /// A message was pinned (a `pinned` system message follows).
    MessagePinned {
        /// Room.
        room: RoomId,
        /// Message.
        message_id: MessageId,
        /// By whom.
        by: UserId,
        /// When.
        pinned_at: Timestamp,
    },
    /// A message was unpinned (an `unpinned` system message follows).
    MessageUnpinned {
        /// Room.
        room: RoomId,
        /// Message.
        message_id: MessageId,
        /// By whom.
        by: UserId,
    },
    /// The recipient's read state in a room changed (sent to all their connections,
    /// on every node, after `mark_read`, a mark-unread or `set_notifications` on any
    /// of them).
    ReadState {
        /// The new state.
        #[serde(flatten)]
        state: ReadState,
    },
    /// A member read further (sent to the room, in direct rooms and small rooms, for
    /// members whose receipts are public).
    Receipt {
        /// The receipt.
        #[serde(flatten)]
        receipt: Receipt,
    },
    /// A message was reported (sent to the room's moderators and up and to site
    /// administrators, on every node).
    ReportCreated {
        /// The report.
        report: crate::model::Report,
    },
    /// A report was resolved (sent to the same users as `report_created`).
    ReportResolved {
        /// The report, closed.
        report: crate::model::Report,
    },
    /// A member was timed out (`until` set) or their timeout lifted early (`until`
    /// null); sent to the room. A timeout that ends by itself sends nothing.
    TimedOut {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// When the timeout ends (null: lifted).
        until: Option<Timestamp>,
        /// By whom.
        by: UserId,
    },
    /// A public room was created (sent to every connected user, members or not, so
    /// that room lists and Browse update live). The room as a non-member sees it.
    /// Private and direct rooms are never announced.
    PublicRoomCreated {
        /// The room, as a non-member sees it (`my_role`, `code`, `permissions` null).
        room: RoomView,
    },
    /// A public room's settings changed (sent to every connected user).
    PublicRoomUpdated {
        /// The room, as a non-member sees it.
        room: RoomView,
    },
    /// A public room was deleted (sent to every connected user).
    PublicRoomDeleted {
        /// Room.
        room: RoomId,
    },
    /// A user changed their display name or avatar (or bio). Sent in each room shared
    /// with the user, as `presence` is: only people who share a room hear of it.
    UserUpdated {
        /// Room in which this is sent.
        room: RoomId,
        /// The user's profile now.
        user: UserView,
    },
    /// A thread's summary changed: a reply was posted or deleted (sent to the room,
    /// after the reply's `message_created` or `message_deleted`).
    ThreadUpdated {
        /// Room.
        room: RoomId,
        /// The thread's root message.
        root: MessageId,
        /// The root's sequence number.
        root_seq: Seq,
        /// The root's summary now.
        thread: crate::model::ThreadSummary,
    },
    /// In the replay of a `resume`: the room's history starts after the client's
    /// `seq`, the messages in between were deleted by retention (sent before the
    /// room's replayed messages; see `RoomView::history_start_seq`).
    HistoryStart {
        /// Room.
        room: RoomId,
        /// The first `seq` that may still exist.
        history_start_seq: Seq,
    },
}

impl ServerEvent {
    /// Build an error event from a chatcore error.
    pub fn error(id: Option<u64>, err: &crate::Error) -> Self {
        let retry_after_ms = match err {
            crate::Error::RateLimited { retry_after } => {
                Some(u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX))
            }
            _ => None,
        };
        let field = match err {
            crate::Error::Invalid { field, .. } | crate::Error::TooLarge { field, .. } => {
                Some((*field).to_owned())
            }
            _ => None,
        };
        let message = match err {
            // Never leak backend details to clients.
            crate::Error::Backend(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        ServerEvent::Error {
            id,
            code: err.code().to_owned(),
            message,
            field,
            retry_after_ms,
        }
    }
}
