//! One value of every command, event and view, serialized by the Rust types, compared
//! with the committed `clients/js/test/corpus.json` — which the TypeScript client's
//! tests type-check against its `.d.ts` (`clients/js/test/types.test.js`). A change to
//! a wire type on either side fails one of the two.
//!
//! - A new `ServerEvent`/`ClientCommand` variant does not compile until [`event_name`]
//!   / [`command_name`] names it, and fails [`every_variant_has_a_sample`] until it
//!   has a sample (the list of variants is read from serde itself).
//! - A changed field changes the JSON: regenerate with
//!   `BLESS=1 cargo test -p chatcore-client --test corpus`, then fix the TypeScript
//!   types until `node --test clients/js/test` passes.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chatcore::model::{
    Attachment, Ban, Message, MessageKind, ReactionSummary, SystemEvent, ThreadSummary,
};
use chatcore::model::{Block, ModAction, ModLogEntry, Report, ReportResolution, Timeout};
use chatcore::protocol::{
    ClientCommand, ClientFrame, HistoryPage, MeView, MemberView, ReadSettings, ReadState, Receipt,
    RemovalReason, RoomView, ServerEvent, UserView,
};
use chatcore::{MessageId, Role, RoomCode, RoomId, RoomKind, SessionId, UserId};
use chatcore_axum::types as rest;
use chatcore_axum::{ErrorBody, ErrorDetail};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}
fn user(n: u128) -> UserId {
    UserId(uuid(0x100 + n))
}
fn room(n: u128) -> RoomId {
    RoomId(uuid(0x200 + n))
}
fn msg(n: u128) -> MessageId {
    MessageId(uuid(0x300 + n))
}
fn at(secs: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 16, 0, 0).unwrap() + chrono::Duration::seconds(secs.into())
}

fn user_view(n: u128, avatar: bool) -> UserView {
    UserView {
        id: user(n),
        username: format!("user{n}"),
        display_name: format!("User {n}"),
        bio: "bio".into(),
        avatar_url: avatar.then(|| "/api/files/0190".into()),
        created_at: at(1),
        last_seen_at: avatar.then(|| at(2)),
        guest: false,
    }
}

fn me_view() -> MeView {
    MeView {
        user: user_view(1, true),
        email: Some("alice@example.com".into()),
        has_password: true,
        email_verified: false,
    }
}

fn room_view(kind: RoomKind, owner: bool) -> RoomView {
    RoomView {
        id: room(1),
        kind,
        name: "General".into(),
        description: "d".into(),
        avatar_url: owner.then(|| "/api/files/0191".into()),
        has_password: owner,
        max_members: 10_000,
        member_count: 2,
        slow_mode_secs: 0,
        retention_days: owner.then_some(30),
        history_start_seq: if owner { 2 } else { 0 },
        created_at: at(3),
        last_seq: 4,
        my_role: owner.then_some(Role::Owner),
        code: owner.then(|| "GP5P1RFI".parse::<RoomCode>().unwrap()),
        peer: (kind == RoomKind::Direct).then(|| user_view(2, false)),
        permissions: owner.then(|| chatcore::perm::permissions(Role::Owner, kind)),
        read: owner.then(|| read_state(1, 3, 1, 0)),
        muted_until: owner.then(|| at(600)),
        extra: owner.then(extra),
    }
}

fn read_state(r: u128, last_read_seq: i64, unread: u64, mentions: u64) -> ReadState {
    ReadState {
        room: room(r),
        last_read_seq,
        unread,
        mentions,
        last_seq: last_read_seq + i64::try_from(unread).unwrap(),
        notifications: chatcore::NotifyLevel::Mentions,
    }
}

/// A host app's custom data.
fn extra() -> chatcore::model::Extra {
    let mut m = chatcore::model::Extra::new();
    m.insert("app_ref".into(), serde_json::json!("ord-7"));
    m
}

fn member_view() -> MemberView {
    MemberView {
        user: user_view(2, false),
        role: Role::Member,
        joined_at: at(4),
        online: true,
        extra: Some(extra()),
    }
}

fn system_events() -> Vec<SystemEvent> {
    vec![
        SystemEvent::RoomCreated { by: user(1) },
        SystemEvent::Joined { user: user(2) },
        SystemEvent::Left { user: user(2) },
        SystemEvent::Kicked {
            user: user(2),
            by: user(1),
        },
        SystemEvent::Banned {
            user: user(2),
            by: user(1),
        },
        SystemEvent::RoleChanged {
            user: user(2),
            role: Role::Moderator,
            by: user(1),
        },
        SystemEvent::OwnershipTransferred {
            from: Some(user(1)),
            to: user(2),
        },
        SystemEvent::OwnershipTransferred {
            from: None,
            to: user(2),
        },
        SystemEvent::Pinned {
            message: msg(1),
            by: user(1),
        },
        SystemEvent::Unpinned {
            message: msg(1),
            by: user(1),
        },
    ]
}

fn message(kind: MessageKind, seq: i64) -> Message {
    let n = u128::try_from(seq).unwrap();
    Message {
        id: msg(n),
        room_id: room(1),
        seq,
        author_id: (kind != MessageKind::System).then(|| user(1)),
        kind,
        body: if kind == MessageKind::System {
            String::new()
        } else {
            format!("body {seq}")
        },
        system: (kind == MessageKind::System).then(|| SystemEvent::Joined { user: user(2) }),
        attachment: matches!(kind, MessageKind::Image | MessageKind::File).then(|| Attachment {
            blob_id: uuid(0x400).to_string(),
            name: "cat.png".into(),
            content_type: "image/png".into(),
            size: 48_213,
        }),
        reply_to: (kind == MessageKind::Text).then(|| msg(1)),
        client_nonce: None,
        created_at: at(5),
        edited_at: (kind == MessageKind::Text).then(|| at(6)),
        deleted_at: (kind == MessageKind::File).then(|| at(7)),
        reactions: if kind == MessageKind::Text {
            vec![ReactionSummary {
                emoji: "👍".into(),
                count: 2,
                me: true,
            }]
        } else {
            Vec::new()
        },
        mentions: if kind == MessageKind::Text {
            vec![user(2)]
        } else {
            Vec::new()
        },
        // The text message is a thread's root; the image a reply in it, also sent
        // to the room.
        thread_root: (kind == MessageKind::Image).then(|| msg(1)),
        also_in_room: kind == MessageKind::Image,
        thread: (kind == MessageKind::Text).then(thread_summary),
        extra: (kind == MessageKind::Text).then(extra),
    }
}

fn thread_summary() -> ThreadSummary {
    ThreadSummary {
        reply_count: 2,
        last_reply_at: Some(at(8)),
        participants: vec![user(1), user(2)],
    }
}

fn messages() -> Vec<Message> {
    [
        MessageKind::Text,
        MessageKind::System,
        MessageKind::Image,
        MessageKind::File,
    ]
    .into_iter()
    .zip(1..)
    .map(|(k, seq)| message(k, seq))
    .collect()
}

fn page() -> HistoryPage {
    HistoryPage {
        room: room(1),
        messages: messages(),
        has_more: true,
        thread: None,
        history_start_seq: None,
    }
}

/// The name a variant has on the wire. Exhaustive: a new variant does not compile
/// until it is named here (and then needs a sample in [`events`]).
fn event_name(e: &ServerEvent) -> &'static str {
    match e {
        ServerEvent::Hello { .. } => "hello",
        ServerEvent::Ack { .. } => "ack",
        ServerEvent::Sent { .. } => "sent",
        ServerEvent::Error { .. } => "error",
        ServerEvent::Pong { .. } => "pong",
        ServerEvent::History { .. } => "history",
        ServerEvent::MessageCreated { .. } => "message_created",
        ServerEvent::MessageEdited { .. } => "message_edited",
        ServerEvent::MessageDeleted { .. } => "message_deleted",
        ServerEvent::MemberJoined { .. } => "member_joined",
        ServerEvent::MemberRemoved { .. } => "member_removed",
        ServerEvent::RoleChanged { .. } => "role_changed",
        ServerEvent::RoomCreated { .. } => "room_created",
        ServerEvent::RoomUpdated { .. } => "room_updated",
        ServerEvent::Invited { .. } => "invited",
        ServerEvent::RoomDeleted { .. } => "room_deleted",
        ServerEvent::Typing { .. } => "typing",
        ServerEvent::Presence { .. } => "presence",
        ServerEvent::ReactionAdded { .. } => "reaction_added",
        ServerEvent::ReactionRemoved { .. } => "reaction_removed",
        ServerEvent::MessagePinned { .. } => "message_pinned",
        ServerEvent::MessageUnpinned { .. } => "message_unpinned",
        ServerEvent::ReadState { .. } => "read_state",
        ServerEvent::Receipt { .. } => "receipt",
        ServerEvent::ReportCreated { .. } => "report_created",
        ServerEvent::ReportResolved { .. } => "report_resolved",
        ServerEvent::TimedOut { .. } => "timed_out",
        ServerEvent::PublicRoomCreated { .. } => "public_room_created",
        ServerEvent::PublicRoomUpdated { .. } => "public_room_updated",
        ServerEvent::PublicRoomDeleted { .. } => "public_room_deleted",
        ServerEvent::UserUpdated { .. } => "user_updated",
        ServerEvent::ThreadUpdated { .. } => "thread_updated",
        ServerEvent::HistoryStart { .. } => "history_start",
    }
}

/// As [`event_name`], for commands.
fn command_name(c: &ClientCommand) -> &'static str {
    match c {
        ClientCommand::Auth { .. } => "auth",
        ClientCommand::Join { .. } => "join",
        ClientCommand::Leave { .. } => "leave",
        ClientCommand::Resume { .. } => "resume",
        ClientCommand::Send { .. } => "send",
        ClientCommand::Edit { .. } => "edit",
        ClientCommand::Delete { .. } => "delete",
        ClientCommand::TypingStart { .. } => "typing_start",
        ClientCommand::TypingStop { .. } => "typing_stop",
        ClientCommand::History { .. } => "history",
        ClientCommand::Ping => "ping",
        ClientCommand::React { .. } => "react",
        ClientCommand::Unreact { .. } => "unreact",
        ClientCommand::Pin { .. } => "pin",
        ClientCommand::Unpin { .. } => "unpin",
        ClientCommand::MarkRead { .. } => "mark_read",
        ClientCommand::SetNotifications { .. } => "set_notifications",
    }
}

fn events() -> Vec<ServerEvent> {
    vec![
        ServerEvent::Hello {
            protocol: chatcore::protocol::PROTOCOL_VERSION,
            user: user_view(1, true),
            rooms: vec![room(1), room(2)],
            heartbeat_ms: 25_000,
            read_states: vec![read_state(1, 3, 2, 1), read_state(2, 7, 0, 0)],
            timeouts: vec![chatcore::protocol::MyTimeout {
                room: room(2),
                until: at(600),
            }],
        },
        ServerEvent::Ack { id: Some(1) },
        ServerEvent::Ack { id: None },
        ServerEvent::Sent {
            id: Some(5),
            nonce: "c-1".into(),
            room: room(1),
            message_id: msg(1),
            seq: 3,
        },
        ServerEvent::Error {
            id: Some(9),
            code: "not_found".into(),
            message: "room not found".into(),
            field: None,
            retry_after_ms: None,
        },
        ServerEvent::Error {
            id: Some(10),
            code: "invalid_input".into(),
            message: "body: must not be empty".into(),
            field: Some("body".into()),
            retry_after_ms: None,
        },
        ServerEvent::Error {
            id: None,
            code: "rate_limited".into(),
            message: "rate limited; retry after 41000 ms".into(),
            field: None,
            retry_after_ms: Some(41_000),
        },
        ServerEvent::Pong { id: Some(9) },
        ServerEvent::History {
            id: Some(8),
            page: page(),
        },
        ServerEvent::MessageCreated {
            message: message(MessageKind::Text, 3),
        },
        ServerEvent::MessageEdited {
            message: message(MessageKind::Text, 3),
        },
        ServerEvent::MessageDeleted {
            room: room(1),
            message_id: msg(1),
            seq: 3,
            by: user(1),
        },
        ServerEvent::MemberJoined {
            room: room(1),
            member: member_view(),
        },
        ServerEvent::MemberRemoved {
            room: room(1),
            user: user(2),
            reason: RemovalReason::Banned,
            by: Some(user(1)),
        },
        ServerEvent::MemberRemoved {
            room: room(1),
            user: user(2),
            reason: RemovalReason::Left,
            by: None,
        },
        ServerEvent::RoleChanged {
            room: room(1),
            user: user(2),
            role: Role::Moderator,
            by: user(1),
        },
        ServerEvent::RoomCreated {
            room: room_view(RoomKind::Private, true),
        },
        ServerEvent::RoomUpdated {
            room: room_view(RoomKind::Public, false),
        },
        ServerEvent::Invited {
            room: room(2),
            room_name: "Plans".into(),
            by: user(1),
        },
        ServerEvent::RoomDeleted { room: room(1) },
        ServerEvent::Typing {
            room: room(1),
            user: user(1),
            typing: true,
            expires_in_ms: 6000,
        },
        ServerEvent::Presence {
            room: room(1),
            user: user(1),
            online: false,
            last_seen_at: Some(at(8)),
        },
        ServerEvent::Presence {
            room: room(1),
            user: user(1),
            online: true,
            last_seen_at: None,
        },
        ServerEvent::ReactionAdded {
            room: room(1),
            message_id: msg(1),
            seq: 3,
            emoji: "👍".into(),
            user: user(2),
            count: 2,
        },
        ServerEvent::ReactionRemoved {
            room: room(1),
            message_id: msg(1),
            seq: 3,
            emoji: "👍".into(),
            user: user(2),
            count: 0,
        },
        ServerEvent::MessagePinned {
            room: room(1),
            message_id: msg(1),
            by: user(1),
            pinned_at: at(8),
        },
        ServerEvent::MessageUnpinned {
            room: room(1),
            message_id: msg(1),
            by: user(1),
        },
        ServerEvent::ReadState {
            state: read_state(1, 42, 0, 0),
        },
        ServerEvent::Receipt {
            receipt: Receipt {
                room: room(1),
                user: user(2),
                seq: 42,
            },
        },
        ServerEvent::ReportCreated {
            report: report(false),
        },
        ServerEvent::ReportResolved {
            report: report(true),
        },
        ServerEvent::TimedOut {
            room: room(1),
            user: user(2),
            until: Some(at(600)),
            by: user(1),
        },
        ServerEvent::TimedOut {
            room: room(1),
            user: user(2),
            until: None,
            by: user(1),
        },
        ServerEvent::PublicRoomCreated {
            room: room_view(RoomKind::Public, false),
        },
        ServerEvent::PublicRoomUpdated {
            room: room_view(RoomKind::Public, false),
        },
        ServerEvent::PublicRoomDeleted { room: room(1) },
        ServerEvent::UserUpdated {
            room: room(1),
            user: user_view(2, true),
        },
        ServerEvent::ThreadUpdated {
            room: room(1),
            root: msg(1),
            root_seq: 1,
            thread: thread_summary(),
        },
        ServerEvent::HistoryStart {
            room: room(1),
            history_start_seq: 2,
        },
        ServerEvent::History {
            id: Some(15),
            page: HistoryPage {
                room: room(1),
                messages: vec![message(MessageKind::Image, 3)],
                has_more: false,
                thread: Some(msg(1)),
                history_start_seq: Some(2),
            },
        },
    ]
}

fn report(resolved: bool) -> Report {
    Report {
        id: uuid(0x400),
        room_id: room(1),
        message_id: msg(1),
        reporter: Some(user(3)),
        author: Some(user(2)),
        body: "buy cheap pills".into(),
        reason: "spam".into(),
        created_at: at(5),
        resolution: resolved.then_some(ReportResolution::Ban),
        resolved_by: resolved.then(|| user(1)),
        resolved_at: resolved.then(|| at(6)),
    }
}

fn frame(id: Option<u64>, command: ClientCommand) -> ClientFrame {
    ClientFrame { id, command }
}

fn commands() -> Vec<ClientFrame> {
    vec![
        frame(
            None,
            ClientCommand::Auth {
                token: "kq3V0".into(),
            },
        ),
        frame(
            Some(1),
            ClientCommand::Join {
                room: room(1),
                since: None,
                password: None,
            },
        ),
        frame(
            Some(2),
            ClientCommand::Join {
                room: room(1),
                since: Some(41),
                password: Some("sesame".into()),
            },
        ),
        frame(Some(3), ClientCommand::Leave { room: room(1) }),
        frame(
            Some(4),
            ClientCommand::Resume {
                rooms: BTreeMap::from([(room(1), 41), (room(2), 7)]),
            },
        ),
        frame(
            Some(5),
            ClientCommand::Send {
                room: room(1),
                nonce: "c-1".into(),
                body: "hi".into(),
                reply_to: Some(msg(1)),
                thread_root: None,
                also_in_room: false,
                extra: Some(extra().into()),
            },
        ),
        frame(
            Some(15),
            ClientCommand::Send {
                room: room(1),
                nonce: "c-2".into(),
                body: "in the thread".into(),
                reply_to: None,
                thread_root: Some(msg(1)),
                also_in_room: true,
                extra: None,
            },
        ),
        frame(
            Some(6),
            ClientCommand::Edit {
                message: msg(1),
                body: "hi!".into(),
                extra: Some(extra().into()),
            },
        ),
        frame(Some(7), ClientCommand::Delete { message: msg(1) }),
        frame(None, ClientCommand::TypingStart { room: room(1) }),
        frame(None, ClientCommand::TypingStop { room: room(1) }),
        frame(
            Some(8),
            ClientCommand::History {
                room: room(1),
                before: Some(120),
                after: Some(2),
                limit: Some(50),
                thread: None,
            },
        ),
        frame(
            Some(16),
            ClientCommand::History {
                room: room(1),
                before: None,
                after: None,
                limit: Some(50),
                thread: Some(msg(1)),
            },
        ),
        frame(Some(9), ClientCommand::Ping),
        frame(
            Some(10),
            ClientCommand::React {
                message: msg(1),
                emoji: "👍".into(),
            },
        ),
        frame(
            Some(11),
            ClientCommand::Unreact {
                message: msg(1),
                emoji: "👍".into(),
            },
        ),
        frame(Some(12), ClientCommand::Pin { message: msg(1) }),
        frame(Some(13), ClientCommand::Unpin { message: msg(1) }),
        frame(
            Some(14),
            ClientCommand::MarkRead {
                room: room(1),
                seq: 42,
            },
        ),
        frame(
            Some(15),
            ClientCommand::SetNotifications {
                room: room(1),
                level: chatcore::NotifyLevel::None,
            },
        ),
    ]
}

/// Samples of the views and REST bodies, by their TypeScript name.
fn types() -> BTreeMap<&'static str, Vec<Value>> {
    fn all<T: Serialize>(items: impl IntoIterator<Item = T>) -> Vec<Value> {
        items
            .into_iter()
            .map(|v| serde_json::to_value(v).unwrap())
            .collect()
    }
    let mut t = BTreeMap::new();
    t.insert("UserView", all([user_view(1, true), user_view(2, false)]));
    t.insert("MeView", all([me_view()]));
    t.insert(
        "RoomView",
        all([
            room_view(RoomKind::Private, true),
            room_view(RoomKind::Direct, false),
        ]),
    );
    t.insert("MemberView", all([member_view()]));
    t.insert("ReadState", all([read_state(1, 3, 2, 1)]));
    t.insert(
        "Receipt",
        all([Receipt {
            room: room(1),
            user: user(2),
            seq: 42,
        }]),
    );
    t.insert(
        "ReadSettings",
        all([ReadSettings {
            private_receipts: true,
        }]),
    );
    t.insert("Message", all(messages()));
    t.insert("SystemEvent", all(system_events()));
    t.insert(
        "HistoryPage",
        all([
            page(),
            HistoryPage {
                room: room(1),
                messages: vec![message(MessageKind::Image, 3)],
                has_more: false,
                thread: Some(msg(1)),
                history_start_seq: Some(2),
            },
        ]),
    );
    t.insert(
        "SearchPage",
        all([chatcore::SearchPage {
            hits: vec![chatcore::SearchHit {
                message: message(MessageKind::Text, 3),
                snippet: "body 3".into(),
                highlights: vec![[0, 4]],
            }],
            has_more: false,
        }]),
    );
    t.insert(
        "PinView",
        all([chatcore::PinView {
            message: message(MessageKind::Text, 3),
            pinned_by: Some(user(1)),
            pinned_at: at(8),
        }]),
    );
    t.insert("RoomKind", all(variants::<RoomKind>()));
    t.insert("Role", all(variants::<Role>()));
    t.insert("MessageKind", all(variants::<MessageKind>()));
    t.insert("RemovalReason", all(variants::<RemovalReason>()));
    t.insert("NotifyLevel", all(variants::<chatcore::NotifyLevel>()));
    t.insert(
        "NotificationsRequest",
        all([rest::NotificationsRequest {
            level: chatcore::NotifyLevel::All,
        }]),
    );
    t.insert(
        "ErrorBody",
        all([ErrorBody {
            error: ErrorDetail {
                code: "invalid_input".into(),
                message: "invalid name: must not be empty".into(),
                field: Some("name".into()),
                retry_after_ms: Some(41_000),
            },
        }]),
    );
    t.insert(
        "RegisterRequest",
        all([chatcore::Register {
            username: "alice".into(),
            password: "correct horse".into(),
            email: Some("alice@example.com".into()),
            display_name: Some("Alice".into()),
        }]),
    );
    t.insert(
        "LoginRequest",
        all([rest::LoginRequest {
            username: "alice".into(),
            password: "correct horse".into(),
        }]),
    );
    t.insert(
        "AuthResponse",
        all([rest::AuthResponse {
            user: me_view(),
            token: "kq3V0".into(),
            session_id: SessionId(uuid(0x500)),
            expires_at: at(9),
        }]),
    );
    t.insert(
        "SessionView",
        all([rest::SessionView {
            id: SessionId(uuid(0x500)),
            created_at: at(1),
            last_used_at: at(2),
            expires_at: at(9),
            user_agent: Some("node".into()),
            current: true,
        }]),
    );
    t.insert(
        "DeleteAccountRequest",
        all([rest::DeleteAccountRequest {
            password: Some("correct horse".into()),
        }]),
    );
    t.insert(
        "ChangePasswordRequest",
        all([rest::ChangePasswordRequest {
            old: "a".into(),
            new: "b".into(),
        }]),
    );
    t.insert(
        "ProfileUpdateRequest",
        all([chatcore::ProfileUpdate {
            display_name: Some("A".into()),
            bio: Some("b".into()),
            avatar_url: Some(String::new()),
            email: Some("a@example.com".into()),
        }]),
    );
    t.insert(
        "MyRooms",
        all([rest::MyRooms {
            public: vec![room_view(RoomKind::Public, false)],
            private: vec![room_view(RoomKind::Private, true)],
            direct: vec![room_view(RoomKind::Direct, false)],
        }]),
    );
    t.insert(
        "NewRoomRequest",
        all([chatcore::NewRoom {
            kind: RoomKind::Public,
            name: "General".into(),
            description: "d".into(),
            password: Some("sesame".into()),
            max_members: Some(10),
            avatar_url: Some("/a.png".into()),
            extra: Some(extra().into()),
        }]),
    );
    t.insert(
        "RoomUpdateRequest",
        all([chatcore::RoomUpdate {
            name: Some("n".into()),
            description: Some("d".into()),
            avatar_url: Some(String::new()),
            password: Some(String::new()),
            max_members: Some(0),
            slow_mode_secs: Some(5),
            retention_days: Some(30),
            extra: Some(extra().into()),
        }]),
    );
    t.insert(
        "JoinRequest",
        all([rest::JoinRequest {
            password: Some("sesame".into()),
        }]),
    );
    t.insert(
        "JoinByCodeRequest",
        all([rest::JoinByCodeRequest {
            code: "K3Q9ZT2M".into(),
            password: None,
        }]),
    );
    t.insert(
        "CodeResponse",
        all([rest::CodeResponse {
            code: "K3Q9ZT2M".parse().unwrap(),
        }]),
    );
    t.insert("UserRef", all([rest::UserRef { user_id: user(2) }]));
    t.insert(
        "InviteView",
        all([chatcore::protocol::InviteView {
            room_id: room(2),
            room_name: "Plans".into(),
            invited_by: Some(user(1)),
            created_at: at(3),
        }]),
    );
    t.insert(
        "SetRoleRequest",
        all([rest::SetRoleRequest { role: Role::Admin }]),
    );
    t.insert(
        "BanRequest",
        all([rest::BanRequest {
            user_id: user(2),
            reason: "spam".into(),
            expires_at: Some(at(10)),
        }]),
    );
    t.insert(
        "Ban",
        all([Ban {
            room_id: room(1),
            user_id: user(2),
            banned_by: Some(user(1)),
            reason: "spam".into(),
            created_at: at(3),
            expires_at: None,
        }]),
    );
    t.insert(
        "SendMessageRequest",
        all([chatcore::SendMessage {
            body: "hi".into(),
            reply_to: Some(msg(1)),
            nonce: Some("c-1".into()),
            thread_root: Some(msg(1)),
            also_in_room: false,
            extra: Some(extra().into()),
        }]),
    );
    t.insert(
        "EditMessageRequest",
        all([rest::EditMessageRequest {
            body: "hi!".into(),
            extra: Some(extra().into()),
        }]),
    );
    t.insert(
        "ReadPositionRequest",
        all([rest::ReadPositionRequest { seq: 42 }]),
    );
    t.insert(
        "OpenDirectRequest",
        all([rest::OpenDirectRequest {
            user_id: Some(user(2)),
            username: Some("bob".into()),
        }]),
    );
    t.insert("Report", all([report(false), report(true)]));
    t.insert("ReportResolution", all(variants::<ReportResolution>()));
    t.insert("ModAction", all(variants::<ModAction>()));
    t.insert(
        "ModLogEntry",
        all([ModLogEntry {
            id: uuid(0x500),
            room_id: room(1),
            at: at(7),
            actor: Some(user(1)),
            action: ModAction::Ban,
            target_user: Some(user(2)),
            target_message: Some(msg(1)),
            reason: "spam".into(),
        }]),
    );
    t.insert(
        "Timeout",
        all([Timeout {
            room_id: room(1),
            user_id: user(2),
            until: at(600),
            by: Some(user(1)),
            reason: "cool off".into(),
            created_at: at(9),
        }]),
    );
    t.insert(
        "Block",
        all([Block {
            user_id: user(2),
            created_at: at(9),
        }]),
    );
    t.insert(
        "MyTimeout",
        all([chatcore::protocol::MyTimeout {
            room: room(2),
            until: at(600),
        }]),
    );
    t.insert(
        "ReportRequest",
        all([rest::ReportRequest {
            reason: "spam".into(),
        }]),
    );
    t.insert(
        "ResolveRequest",
        all([rest::ResolveRequest {
            resolution: ReportResolution::Kick,
            reason: "".into(),
        }]),
    );
    t.insert(
        "TimeoutRequest",
        all([rest::TimeoutRequest {
            duration_secs: 600,
            reason: "cool off".into(),
        }]),
    );
    t
}

/// Every variant of a field-less enum, in the order serde lists them.
fn variants<T: DeserializeOwned>() -> Vec<T> {
    serde_variant_names::<T>(|bogus| json!(bogus))
        .into_iter()
        .map(|name| serde_json::from_value(json!(name)).unwrap())
        .collect()
}

/// The variant names serde accepts for `T`, read from its "unknown variant" error
/// (`wrap` builds the JSON that names a variant: a string, or a tagged object).
fn serde_variant_names<T: DeserializeOwned>(wrap: impl Fn(&str) -> Value) -> Vec<String> {
    let err = serde_json::from_value::<T>(wrap("\u{1}"))
        .err()
        .expect("a bogus variant is refused")
        .to_string();
    let list = err
        .split("expected one of ")
        .nth(1)
        .or_else(|| err.split("expected ").nth(1))
        .unwrap_or_else(|| panic!("no variant list in {err:?}"));
    let list = list.split(" at line").next().unwrap_or(list);
    list.split(", ")
        .map(|v| v.trim().trim_matches('`').to_owned())
        .collect()
}

fn corpus() -> Value {
    json!({
        "commands": commands(),
        "events": events(),
        "types": types(),
    })
}

fn corpus_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../clients/js/test/corpus.json")
}

#[test]
fn the_committed_corpus_is_what_rust_serializes() {
    let text = format!("{}\n", serde_json::to_string_pretty(&corpus()).unwrap());
    let path = corpus_path();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} differs from what the Rust types serialize: a wire type changed. Regenerate \
         with `BLESS=1 cargo test -p chatcore-client --test corpus`, then update \
         clients/js/src/protocol.d.ts until `node --test clients/js/test` passes.",
        path.display()
    );
}

#[test]
fn every_variant_has_a_sample() {
    let tagged = |t: &str| json!({ "type": t });
    let want: BTreeSet<String> = serde_variant_names::<ServerEvent>(tagged)
        .into_iter()
        .collect();
    let have: BTreeSet<String> = events().iter().map(|e| event_name(e).to_owned()).collect();
    assert_eq!(have, want, "events without a sample");

    let want: BTreeSet<String> = serde_variant_names::<ClientCommand>(tagged)
        .into_iter()
        .collect();
    let have: BTreeSet<String> = commands()
        .iter()
        .map(|f| command_name(&f.command).to_owned())
        .collect();
    assert_eq!(have, want, "commands without a sample");

    let want: BTreeSet<String> = serde_variant_names::<SystemEvent>(|t| json!({ "event": t }))
        .into_iter()
        .collect();
    let have: BTreeSet<String> = system_events()
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(have, want, "system events without a sample");

    let kinds: std::collections::HashSet<MessageKind> = messages().iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds.len(),
        variants::<MessageKind>().len(),
        "message kinds"
    );
}

#[test]
fn every_sample_reads_back_as_itself() {
    for e in events() {
        let back: ServerEvent = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
    for f in commands() {
        let back: ClientFrame = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }
}
