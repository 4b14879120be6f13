//! Conversions between domain records and rows.

use chatcore::model::{
    Attachment, Ban, Extra, Invite, Membership, Message, MessageKind, Role, Room, RoomKind,
    Session, SystemEvent, ThreadSummary, Timestamp, User,
};
use chatcore::{Error, MessageId, Result, RoomCode, RoomId, SessionId, UserId, Username};
use chrono::DateTime;

use crate::entity::{bans, invites, memberships, messages, rooms, sessions, users};
use crate::error::corrupt;

/// A timestamp as stored: nanoseconds since the Unix epoch.
pub(crate) fn ts(t: Timestamp) -> Result<i64> {
    t.timestamp_nanos_opt().ok_or_else(|| {
        Error::invalid(
            "timestamp",
            "outside the storable range (years 1677 to 2262)",
        )
    })
}

pub(crate) fn ts_opt(t: Option<Timestamp>) -> Result<Option<i64>> {
    t.map(ts).transpose()
}

pub(crate) fn from_ts(n: i64) -> Timestamp {
    DateTime::from_timestamp_nanos(n)
}

fn from_ts_opt(n: Option<i64>) -> Option<Timestamp> {
    n.map(from_ts)
}

fn u32_of(table: &'static str, what: &str, n: i64) -> Result<u32> {
    u32::try_from(n).map_err(|_| corrupt(table, format!("{what} out of range: {n}")))
}

pub(crate) fn user(m: users::Model) -> Result<User> {
    let username =
        Username::parse(&m.username).map_err(|e| corrupt("users", format!("username: {e}")))?;
    Ok(User {
        id: UserId(m.id),
        username,
        email: m.email,
        display_name: m.display_name,
        bio: m.bio,
        avatar_url: m.avatar_url,
        external_id: m.external_id,
        created_at: from_ts(m.created_at),
        last_seen_at: from_ts_opt(m.last_seen_at),
        guest: m.guest,
    })
}

pub(crate) fn session(m: sessions::Model) -> Result<Session> {
    let token_hash: [u8; 32] = m
        .token_hash
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("sessions", "token_hash is not 32 bytes"))?;
    Ok(Session {
        id: SessionId(m.id),
        user_id: UserId(m.user_id),
        token_hash,
        created_at: from_ts(m.created_at),
        last_used_at: from_ts(m.last_used_at),
        expires_at: from_ts(m.expires_at),
        user_agent: m.user_agent,
    })
}

pub(crate) fn room(m: rooms::Model) -> Result<Room> {
    let kind =
        RoomKind::parse(&m.kind).ok_or_else(|| corrupt("rooms", format!("kind {:?}", m.kind)))?;
    let code = m
        .code
        .map(|c| RoomCode::parse(&c).map_err(|e| corrupt("rooms", format!("code: {e}"))))
        .transpose()?;
    let max_members = m
        .max_members
        .map(|n| u32_of("rooms", "max_members", n))
        .transpose()?;
    Ok(Room {
        id: RoomId(m.id),
        kind,
        name: m.name,
        description: m.description,
        avatar_url: m.avatar_url,
        code,
        password_hash: m.password_hash,
        max_members,
        direct_key: m.direct_key,
        created_by: m.created_by.map(UserId),
        created_at: from_ts(m.created_at),
        last_seq: m.last_seq,
        slow_mode_secs: u32_of("rooms", "slow_mode_secs", m.slow_mode_secs)?,
        retention_days: m
            .retention_days
            .map(|n| u32_of("rooms", "retention_days", n))
            .transpose()?,
        history_start_seq: m.history_start_seq,
        extra: extra_of("rooms", m.extra)?,
    })
}

pub(crate) fn role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| corrupt("memberships", format!("role {s:?}")))
}

pub(crate) fn membership(m: memberships::Model) -> Result<Membership> {
    Ok(Membership {
        room_id: RoomId(m.room_id),
        user_id: UserId(m.user_id),
        role: role(&m.role)?,
        joined_at: from_ts(m.joined_at),
        extra: extra_of("memberships", m.extra)?,
    })
}

pub(crate) fn ban(m: bans::Model) -> Ban {
    Ban {
        room_id: RoomId(m.room_id),
        user_id: UserId(m.user_id),
        banned_by: m.banned_by.map(UserId),
        reason: m.reason,
        created_at: from_ts(m.created_at),
        expires_at: from_ts_opt(m.expires_at),
    }
}

pub(crate) fn invite(m: invites::Model) -> Invite {
    Invite {
        room_id: RoomId(m.room_id),
        user_id: UserId(m.user_id),
        invited_by: m.invited_by.map(UserId),
        created_at: from_ts(m.created_at),
    }
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(Error::backend)
}

pub(crate) fn message(m: messages::Model) -> Result<Message> {
    let kind = MessageKind::parse(&m.kind)
        .ok_or_else(|| corrupt("messages", format!("kind {:?}", m.kind)))?;
    let system = m
        .system
        .map(|s| {
            serde_json::from_str::<SystemEvent>(&s)
                .map_err(|e| corrupt("messages", format!("system: {e}")))
        })
        .transpose()?;
    let attachment = m
        .attachment
        .map(|s| {
            serde_json::from_str::<Attachment>(&s)
                .map_err(|e| corrupt("messages", format!("attachment: {e}")))
        })
        .transpose()?;
    let mentions = match m.mentions {
        None => Vec::new(),
        Some(s) => serde_json::from_str::<Vec<UserId>>(&s)
            .map_err(|e| corrupt("messages", format!("mentions: {e}")))?,
    };
    let thread = m.thread.as_deref().map(thread_summary).transpose()?;
    Ok(Message {
        id: MessageId(m.id),
        room_id: RoomId(m.room_id),
        seq: m.seq,
        author_id: m.author_id.map(UserId),
        kind,
        body: m.body,
        system,
        attachment,
        reply_to: m.reply_to.map(MessageId),
        client_nonce: m.client_nonce,
        created_at: from_ts(m.created_at),
        edited_at: from_ts_opt(m.edited_at),
        deleted_at: from_ts_opt(m.deleted_at),
        reactions: Vec::new(),
        mentions,
        thread_root: m.thread_root.map(MessageId),
        also_in_room: m.also_in_room,
        thread,
        extra: extra_of("messages", m.extra)?,
    })
}

/// A stored thread summary.
pub(crate) fn thread_summary(s: &str) -> Result<ThreadSummary> {
    serde_json::from_str(s).map_err(|e| corrupt("messages", format!("thread: {e}")))
}

/// The row of a message about to be inserted.
pub(crate) fn message_row(m: &Message) -> Result<messages::ActiveModel> {
    use sea_orm::ActiveValue::Set;
    Ok(messages::ActiveModel {
        id: Set(m.id.0),
        room_id: Set(m.room_id.0),
        seq: Set(m.seq),
        author_id: Set(m.author_id.map(|u| u.0)),
        kind: Set(m.kind.as_str().to_owned()),
        body: Set(m.body.clone()),
        system: Set(m.system.as_ref().map(json).transpose()?),
        attachment: Set(m.attachment.as_ref().map(json).transpose()?),
        reply_to: Set(m.reply_to.map(|r| r.0)),
        client_nonce: Set(m.client_nonce.clone()),
        created_at: Set(ts(m.created_at)?),
        edited_at: Set(ts_opt(m.edited_at)?),
        deleted_at: Set(ts_opt(m.deleted_at)?),
        mentions: Set(if m.mentions.is_empty() {
            None
        } else {
            Some(json(&m.mentions)?)
        }),
        thread_root: Set(m.thread_root.map(|r| r.0)),
        also_in_room: Set(m.also_in_room),
        thread: Set(m.thread.as_ref().map(json).transpose()?),
        extra: Set(extra_json(m.extra.as_ref())?),
    })
}

/// A stored `extra` column (NULL: none).
pub(crate) fn extra_of(table: &'static str, s: Option<String>) -> Result<Option<Extra>> {
    s.map(|s| serde_json::from_str::<Extra>(&s).map_err(|e| corrupt(table, format!("extra: {e}"))))
        .transpose()
}

/// An `extra` as stored (none and `{}`: NULL).
pub(crate) fn extra_json(e: Option<&Extra>) -> Result<Option<String>> {
    e.filter(|e| !e.is_empty()).map(json).transpose()
}
